import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BUCKET_WRITE_BACK_MS, RateLimits } from "./rate-limits";

// Buckets live in memory and are written back (decision 032). A new RateLimits on the same
// SQLite is what an object sees after an eviction; a real object's storage holds the table.
const NEVER_REFILLS = { capacity: 5, refillPerSecond: 0.000_001 };

/** A fresh rate-limiter object, its migrations run; `onStorage` runs work on its SQLite, as often as a test needs. */
async function freshObject() {
  const stub = env.RATE_LIMITER.getByName(`rate-limits-test-${crypto.randomUUID()}`);
  await stub.peekRateToken("warm-up", NEVER_REFILLS);
  return {
    onStorage: (work: (sql: SqlStorage) => void) =>
      runInDurableObject(stub, async (_object, state) => work(state.storage.sql)),
  };
}

async function onObjectStorage(work: (sql: SqlStorage) => void): Promise<void> {
  await (await freshObject()).onStorage(work);
}

function bucketsAt(sql: SqlStorage, clock: { now: number }) {
  return new RateLimits({ sql, now: () => clock.now });
}

describe("rate buckets written back", () => {
  it("a refused take is stored at once, so a restarted object refuses too", async () => {
    await onObjectStorage((sql) => {
      const clock = { now: 1_000_000 };
      const running = bucketsAt(sql, clock);
      const policy = { capacity: 1, refillPerSecond: 0.000_001 };
      expect(running.take("api", policy).allowed).toBe(true);
      clock.now += 10;
      expect(running.take("api", policy).allowed).toBe(false);
      clock.now += 10;
      expect(bucketsAt(sql, clock).take("api", policy).allowed).toBe(false);
    });
  });

  it("takes not stored at once are written back by a timer, so an evicted object does not find the bucket full", async () => {
    const object = await freshObject();
    const clock = { now: 1_000_000 };
    let running: RateLimits | undefined;
    await object.onStorage((sql) => {
      running = bucketsAt(sql, clock);
      running.take("api", NEVER_REFILLS); // the first take is stored: 4 left
      clock.now += 100;
      running.take("api", NEVER_REFILLS);
      running.take("api", NEVER_REFILLS); // 2 left, in memory only for now
      expect(bucketsAt(sql, clock).peek("api", NEVER_REFILLS).remaining).toBe(4);
    });
    await new Promise((resolve) => setTimeout(resolve, BUCKET_WRITE_BACK_MS + 500));
    await object.onStorage((sql) => {
      expect(bucketsAt(sql, clock).peek("api", NEVER_REFILLS).remaining).toBe(2);
    });
  });

  it("a new key starts full and refills from its own last take", async () => {
    await onObjectStorage((sql) => {
      const clock = { now: 1_000_000 };
      const running = bucketsAt(sql, clock);
      const policy = { capacity: 2, refillPerSecond: 1 };
      expect(running.peek("new", policy).remaining).toBe(2);
      running.take("new", policy);
      running.take("new", policy);
      expect(running.take("new", policy).allowed).toBe(false);
      clock.now += 1_000;
      expect(running.take("new", policy).allowed).toBe(true);
    });
  });
});
