import { z } from "zod";
import type { Timer } from "../alarm-scheduler";
import type { SqliteMigration } from "../sqlite-migrations";

/**
 * The idempotent action ledger (Stripe semantics). A key moves
 * pending → done. `begin` and `complete` are synchronous SQL inside the
 * tenant object, so two concurrent requests with one key are strictly ordered:
 * exactly one proceeds, the other sees `in-flight` (409) or, once done, the
 * stored response. A response is stored only after its effect committed; a
 * failed attempt releases the key so the client may retry it.
 *
 * Designed for both HTTP requests and external actions (a call, an SMS, a
 * publish): the "response" is whatever the caller needs to replay.
 */
export const ledgerMigrations: readonly SqliteMigration[] = [
  {
    id: "ledger/1",
    sql: `CREATE TABLE idempotency_keys (
            key TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
            response TEXT,
            created_at INTEGER NOT NULL,
            pending_until INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
          );
          CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);`,
  },
];

/** A pending key whose holder vanished (crash, eviction) is taken over after this. */
const PENDING_TIMEOUT_MS = 60_000;
export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;

const storedResponse = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
});
export type StoredResponse = z.infer<typeof storedResponse>;

export type LedgerBegin =
  | { outcome: "proceed" }
  | { outcome: "replay"; response: StoredResponse }
  | { outcome: "in-flight" }
  | { outcome: "mismatch" };

type Row = {
  fingerprint: string;
  state: "pending" | "done";
  response: string | null;
  pending_until: number;
  expires_at: number;
};

interface LedgerHost {
  sql: SqlStorage;
  now(): number;
  /** Makes sure the alarm fires no later than `at`. */
  scheduleBy(at: number): Promise<void>;
}

export class IdempotencyLedger {
  /** Callers waiting for a pending key to settle. In memory: after an eviction they time out into 409. */
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Deletes expired keys when the earliest one expires. */
  readonly timers: readonly Timer[] = [
    {
      name: "ledger-prune",
      nextDue: () => this.nextExpiry(),
      run: (now) => {
        this.host.sql.exec("DELETE FROM idempotency_keys WHERE expires_at <= ?", now);
      },
    },
  ];

  constructor(private readonly host: LedgerHost) {}

  /**
   * Starts an action under `key`. While another holder has the key pending,
   * waits up to `waitMs` for it to settle, so a burst of identical retries
   * gets the first one's stored response rather than a 409 each.
   */
  async begin(key: string, fingerprint: string, retentionMs = DEFAULT_RETENTION_MS, waitMs = 0): Promise<LedgerBegin> {
    const deadline = this.host.now() + waitMs;
    for (;;) {
      const result = this.take(key, fingerprint, this.host.now(), retentionMs);
      const remaining = deadline - this.host.now();
      if (result.outcome !== "in-flight" || remaining <= 0) return result;
      await this.settled(key, remaining);
    }
  }

  /**
   * Claims several keys at once, atomically: `proceed` when none is taken
   * (all become pending), the stored response of the first key already done,
   * or `in-flight` when one stays pending past `waitMs`. Intake uses it to
   * deduplicate a lead by phone, email and the source's own id together.
   */
  async beginMany(keys: string[], fingerprint: string, retentionMs: number, waitMs: number): Promise<LedgerBegin> {
    const deadline = this.host.now() + waitMs;
    const sorted = [...new Set(keys)].sort();
    for (;;) {
      const now = this.host.now();
      let blocking: string | undefined;
      for (const key of sorted) {
        const peek = this.peek(key, now);
        if (peek.outcome === "replay") return peek;
        if (peek.outcome === "in-flight") blocking = key;
      }
      if (!blocking) {
        for (const key of sorted) this.take(key, fingerprint, now, retentionMs);
        return { outcome: "proceed" };
      }
      const remaining = deadline - this.host.now();
      if (remaining <= 0) return { outcome: "in-flight" };
      await this.settled(blocking, remaining);
    }
  }

  /** Stores the response of a pending key (only after its effect committed) and wakes its waiters. */
  async complete(keys: string[], fingerprint: string, response: StoredResponse): Promise<void> {
    const stored = JSON.stringify(storedResponse.parse(response));
    for (const key of new Set(keys)) {
      this.host.sql.exec(
        "UPDATE idempotency_keys SET state = 'done', response = ? WHERE key = ? AND fingerprint = ? AND state = 'pending'",
        stored,
        key,
        fingerprint,
      );
      this.wake(key);
    }
    const next = this.nextExpiry();
    if (next !== undefined) await this.host.scheduleBy(next);
  }

  /** A failed attempt gives its keys back, so the client may retry them. */
  release(keys: string[], fingerprint: string): void {
    for (const key of new Set(keys)) {
      this.host.sql.exec(
        "DELETE FROM idempotency_keys WHERE key = ? AND fingerprint = ? AND state = 'pending'",
        key,
        fingerprint,
      );
      this.wake(key);
    }
  }

  private take(key: string, fingerprint: string, now: number, retentionMs: number): LedgerBegin {
    const row = this.row(key);
    const live = row && row.expires_at > now;
    if (live && row.fingerprint !== fingerprint) return { outcome: "mismatch" };
    if (live && row.state === "done" && row.response) {
      // zod at the storage boundary: a row that does not parse is a bug, not a replay.
      return { outcome: "replay", response: storedResponse.parse(JSON.parse(row.response)) };
    }
    if (live && row.state === "pending" && row.pending_until > now) return { outcome: "in-flight" };
    this.host.sql.exec(
      `INSERT INTO idempotency_keys (key, fingerprint, state, response, created_at, pending_until, expires_at)
       VALUES (?, ?, 'pending', NULL, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, state = 'pending', response = NULL,
         created_at = excluded.created_at, pending_until = excluded.pending_until, expires_at = excluded.expires_at`,
      key,
      fingerprint,
      now,
      now + PENDING_TIMEOUT_MS,
      now + retentionMs,
    );
    return { outcome: "proceed" };
  }

  /** What `take` would answer, without taking the key. */
  /** What `key` holds now, changing nothing: a stored response, a live pending holder, or nothing. */
  lookup(key: string): LedgerBegin {
    return this.peek(key, this.host.now());
  }

  private peek(key: string, now: number): LedgerBegin {
    const row = this.row(key);
    if (!row || row.expires_at <= now) return { outcome: "proceed" };
    if (row.state === "done" && row.response) {
      return { outcome: "replay", response: storedResponse.parse(JSON.parse(row.response)) };
    }
    if (row.state === "pending" && row.pending_until > now) return { outcome: "in-flight" };
    return { outcome: "proceed" };
  }

  private row(key: string): Row | undefined {
    return this.host.sql
      .exec<Row>(
        "SELECT fingerprint, state, response, pending_until, expires_at FROM idempotency_keys WHERE key = ?",
        key,
      )
      .toArray()[0];
  }

  private nextExpiry(): number | undefined {
    return (
      this.host.sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM idempotency_keys").one().next ??
      undefined
    );
  }

  /** Resolves when `key` settles (completed or released) or after `waitMs`, whichever is first. */
  private settled(key: string, waitMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiters = this.waiters.get(key) ?? new Set();
      this.waiters.set(key, waiters);
      waiters.add(resolve);
      setTimeout(resolve, waitMs);
    });
  }

  private wake(key: string): void {
    const waiters = this.waiters.get(key);
    this.waiters.delete(key);
    for (const wake of waiters ?? []) wake();
  }
}
