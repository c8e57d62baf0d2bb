import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EVENT_SEQUENCE_BLOCK, EVENT_WRITE_BEHIND_MS, EventLog } from "./events";

// The log is written behind (decision 033). Each test works on a fresh tenant object's real
// SQLite; a second EventLog over the same storage is what the object sees after a restart.

/** A fresh tenant object, its migrations run; `onStorage` runs work on its SQLite, as often as a test needs. */
async function freshObject() {
  const stub = env.TENANT.getByName(`events-test-${crypto.randomUUID()}`);
  await stub.ping();
  return {
    onStorage: <T>(work: (sql: SqlStorage) => T) =>
      runInDurableObject(stub, async (_object, state) => work(state.storage.sql)),
  };
}

const logOver = (sql: SqlStorage) => new EventLog({ sql, now: () => Date.now(), fanOut: async () => undefined });
const storedSeqs = (sql: SqlStorage) =>
  sql
    .exec<{ seq: number }>("SELECT seq FROM events ORDER BY seq")
    .toArray()
    .map((row) => row.seq);

describe("the event log, written behind", () => {
  it("serves an event to a returning client before the timer has written it", async () => {
    const object = await freshObject();
    await object.onStorage(async (sql) => {
      const log = logOver(sql);
      const first = await log.record("entity:lead", "entity.created", '{"n":1}', "behind");
      const page = log.after(0, ["entity:lead"], 10);
      expect(page.events.map((e) => e.seq)).toEqual([first.seq]);
      expect(page.gap).toBe(false);
    });
  });

  it("writes the events handed on to storage once the write-behind time has passed", async () => {
    const object = await freshObject();
    const seqs = await object.onStorage(async (sql) => {
      const log = logOver(sql);
      const a = await log.record("entity:lead", "entity.created", "{}", "behind");
      const b = await log.record("entity:lead", "entity.updated", "{}", "behind");
      expect(storedSeqs(sql)).toEqual([]);
      return [a.seq, b.seq];
    });
    // The real timer, on a machine that may be busy: look again until it has run, or give up.
    let stored: number[] = [];
    for (let waited = 0; waited < 20 * EVENT_WRITE_BEHIND_MS && stored.length < seqs.length; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stored = await object.onStorage((sql) => storedSeqs(sql));
    }
    expect(stored).toEqual(seqs);
  });

  it("an event logged now is stored when its call ends, after the unwritten ones before it", async () => {
    const object = await freshObject();
    await object.onStorage(async (sql) => {
      const log = logOver(sql);
      const announced = await log.record("entity:lead", "entity.created", "{}", "behind");
      const step = await log.record("ticket:t1", "ticket.processing", "{}", "now");
      expect(storedSeqs(sql)).toEqual([announced.seq, step.seq]);
      expect(logOver(sql).after(announced.seq, ["ticket:t1"], 10)).toMatchObject({ gap: false });
    });
  });

  it("after a restart that lost unwritten events, no number is used twice and an older cursor is told there is a gap", async () => {
    const object = await freshObject();
    await object.onStorage(async (sql) => {
      const dying = logOver(sql);
      const lost = [];
      for (let i = 0; i < 3; i++) lost.push((await dying.record("entity:lead", "entity.created", "{}", "behind")).seq);
      // The dying log's timer has not run: its three events exist only in its memory.
      const restarted = logOver(sql);
      const next = await restarted.record("entity:lead", "entity.created", "{}", "behind");
      expect(next.seq).toBeGreaterThan(Math.max(...lost));
      expect(next.seq).toBeGreaterThan(EVENT_SEQUENCE_BLOCK);
      const told = restarted.after(lost[0] as number, ["entity:lead"], 10);
      expect(told.gap).toBe(true);
      // Told of the gap, the client reloads and resumes from `latest`: from there it is whole again.
      expect(restarted.after(told.latest, ["entity:lead"], 10).gap).toBe(false);
    });
  });

  it("a restart after the window was written loses nothing and sends no one to reload", async () => {
    const object = await freshObject();
    await object.onStorage(async (sql) => {
      const first = logOver(sql);
      const seqs = [];
      for (let i = 0; i < 3; i++) seqs.push((await first.record("entity:lead", "entity.created", "{}", "behind")).seq);
      first.write();
      const restarted = logOver(sql);
      const page = restarted.after(seqs[0] as number, ["entity:lead"], 10);
      expect(page.gap).toBe(false);
      expect(page.events.map((e) => e.seq)).toEqual(seqs.slice(1));
      expect((await restarted.record("entity:lead", "entity.created", "{}", "behind")).seq).toBeGreaterThan(
        seqs[2] as number,
      );
    });
  });

  it("an object restarted again and again between sparse writes numbers its events without skipping", async () => {
    const object = await freshObject();
    const seqs = await object.onStorage(async (sql) => {
      const handed = [];
      for (let life = 0; life < 5; life++) {
        const log = logOver(sql);
        handed.push((await log.record("entity:lead", "entity.updated", "{}", "behind")).seq);
        log.write();
      }
      return handed;
    });
    const first = seqs[0] as number;
    expect(seqs).toEqual([first, first + 1, first + 2, first + 3, first + 4]);
  });

  it("an event SQLite refuses is dropped without holding up the rest, and cursors below it are told of a gap", async () => {
    const object = await freshObject();
    await object.onStorage(async (sql) => {
      // Storage that refuses one row, as SQLite does a row over its size limit or a full disk:
      // local workerd enforces neither, so the refusal is played by this wrapper over the real storage.
      let refuse: number | undefined;
      const refusing = {
        exec: (query: string, ...bindings: unknown[]) => {
          if (query.startsWith("INSERT INTO events") && bindings[0] === refuse) throw new Error("SQLITE_TOOBIG");
          return sql.exec(query, ...bindings);
        },
      } as SqlStorage;
      const log = logOver(refusing);
      const before = await log.record("entity:lead", "entity.created", "{}", "behind");
      const refused = await log.record("entity:lead", "entity.updated", "{}", "behind");
      const after = await log.record("entity:lead", "entity.updated", "{}", "behind");
      refuse = refused.seq;
      log.write();
      expect(storedSeqs(sql)).toEqual([before.seq, after.seq]);
      expect(log.after(before.seq, ["entity:lead"], 10).gap).toBe(true);
      expect(log.after(refused.seq, ["entity:lead"], 10)).toMatchObject({ gap: false });
      const later = await log.record("ticket:t1", "ticket.processing", "{}", "now");
      expect(storedSeqs(sql)).toEqual([before.seq, after.seq, later.seq]);
      expect(logOver(sql).after(before.seq, ["entity:lead"], 10).gap).toBe(true);
    });
  });
});
