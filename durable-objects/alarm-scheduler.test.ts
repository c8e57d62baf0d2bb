import { describe, expect, it } from "vitest";
import { AlarmScheduler, type AlarmStorage, STILL_DUE_RETRY_MS, type Timer } from "./alarm-scheduler";

const NOW = 1_000_000;

function fakeStorage(alarm: number | null = null): AlarmStorage & { alarm: number | null } {
  const storage = {
    alarm,
    getAlarm: async () => storage.alarm,
    setAlarm: async (at: number | Date) => {
      storage.alarm = typeof at === "number" ? at : at.getTime();
    },
  };
  return storage as AlarmStorage & { alarm: number | null };
}

/** A timer due at `due`; running it moves it to `after` (or fails). */
function timer(name: string, due: number | undefined, after: number | undefined, fail = false) {
  const state = { due, runs: 0 };
  const t: Timer = {
    name,
    nextDue: () => state.due,
    run: () => {
      state.runs += 1;
      if (fail) throw new Error("queue unavailable");
      state.due = after;
    },
  };
  return { t, state };
}

describe("the alarm scheduler", () => {
  it("runs only the timers that are due, then sets the alarm to the earliest next due time", async () => {
    const storage = fakeStorage();
    const due = timer("ledger-prune", NOW - 5, NOW + 60_000);
    const later = timer("ticket-ttl", NOW + 30_000, undefined);
    const idle = timer("webhook-outbox", undefined, undefined);
    await new AlarmScheduler(storage, [due.t, later.t, idle.t], () => NOW).runDue();
    expect([due.state.runs, later.state.runs, idle.state.runs]).toEqual([1, 0, 0]);
    expect(storage.alarm).toBe(NOW + 30_000);
  });

  it("a failing timer does not stop the others, is retried later, and makes the alarm throw naming it", async () => {
    const storage = fakeStorage();
    const failing = timer("ticket-outbox", NOW - 1, undefined, true);
    const healthy = timer("ledger-prune", NOW - 1, NOW + 60_000);
    const scheduler = new AlarmScheduler(storage, [failing.t, healthy.t], () => NOW);
    await expect(scheduler.runDue()).rejects.toThrow(/timer ticket-outbox failed: queue unavailable/);
    expect(healthy.state.runs).toBe(1);
    // Still due after it ran: tried again after a pause, not in a tight loop.
    expect(storage.alarm).toBe(NOW + STILL_DUE_RETRY_MS);
  });

  it("leaves no alarm when no timer has work", async () => {
    const storage = fakeStorage();
    const done = timer("ledger-prune", NOW, undefined);
    await new AlarmScheduler(storage, [done.t], () => NOW).runDue();
    expect(storage.alarm).toBeNull();
  });

  it("scheduleBy only ever brings the alarm earlier", async () => {
    const storage = fakeStorage(NOW + 10_000);
    const scheduler = new AlarmScheduler(storage, [], () => NOW);
    await scheduler.scheduleBy(NOW + 20_000);
    expect(storage.alarm).toBe(NOW + 10_000);
    await scheduler.scheduleBy(NOW + 5_000);
    expect(storage.alarm).toBe(NOW + 5_000);
  });
});
