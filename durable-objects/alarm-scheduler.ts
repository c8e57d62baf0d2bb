/**
 * Many named timers on the object's one alarm (a Durable Object has a single
 * alarm). A timer is not a stored entry: the capability that owns it reads its
 * own rows to say when it is next due (the earliest ledger expiry, the oldest
 * unsent ticket), so the schedule can never drift from the data it serves.
 * The host never reads a capability's tables; it only asks its timers.
 */
export interface Timer {
  /** Names the timer in logs and errors, e.g. "ledger-prune". */
  readonly name: string;
  /** When the timer next has work (epoch ms; in the past means now), or undefined when it has none. */
  nextDue(): number | undefined;
  /** Does the work that is due at `now`. A throw is reported and retried. */
  run(now: number): Promise<void> | void;
}

/** The part of DurableObjectStorage the scheduler uses, so a test can hand it a fake. */
export type AlarmStorage = Pick<DurableObjectStorage, "getAlarm" | "setAlarm">;

/**
 * A timer still due right after it ran (it failed, or had more work than one
 * pass does) waits this long before the next try, rather than spinning the
 * alarm. The runtime's own retry of a thrown alarm may come sooner.
 */
export const STILL_DUE_RETRY_MS = 2_000;

class TimerFailures extends AggregateError {
  override name = "TimerFailures";
}

export class AlarmScheduler {
  constructor(
    private readonly storage: AlarmStorage,
    private readonly timers: readonly Timer[],
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The alarm handler: runs every due timer (one failing does not stop the
   * others), sets the alarm to the earliest next due time, then throws if any
   * timer failed so the runtime retries the alarm.
   */
  async runDue(): Promise<void> {
    const now = this.now();
    const failures: Error[] = [];
    for (const timer of this.timers) {
      const due = timer.nextDue();
      if (due === undefined || due > now) continue;
      try {
        await timer.run(now);
      } catch (error) {
        failures.push(new Error(`timer ${timer.name} failed: ${error instanceof Error ? error.message : error}`));
      }
    }
    const next = this.earliestDue(this.now());
    if (next !== undefined) await this.storage.setAlarm(next);
    if (failures.length > 0) {
      throw new TimerFailures(failures, failures.map((failure) => failure.message).join("; "));
    }
  }

  /** Makes sure the alarm fires no later than `at` (a capability just created due work). */
  async scheduleBy(at: number): Promise<void> {
    const current = await this.storage.getAlarm();
    if (current === null || current > at) await this.storage.setAlarm(at);
  }

  /**
   * On waking (a restart, an eviction): makes sure the alarm is set for the
   * earliest due timer, so work stored before the restart is not left waiting
   * on an alarm the runtime may have dropped.
   */
  async rearm(): Promise<void> {
    const next = this.earliestDue(this.now());
    if (next !== undefined) await this.scheduleBy(next);
  }

  private earliestDue(now: number): number | undefined {
    const times = this.timers
      .map((timer) => timer.nextDue())
      .filter((due): due is number => due !== undefined)
      .map((due) => (due <= now ? now + STILL_DUE_RETRY_MS : due));
    return times.length > 0 ? Math.min(...times) : undefined;
  }
}
