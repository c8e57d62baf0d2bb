import { z } from "zod";
import type { SqliteMigration } from "../sqlite-migrations";

/**
 * The idempotent action ledger (SPEC §4.3, Stripe semantics). A key moves
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
export const PENDING_TIMEOUT_MS = 60_000;
export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;

export const storedResponse = z.object({
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

export function beginAction(
  sql: SqlStorage,
  key: string,
  fingerprint: string,
  now: number,
  retentionMs = DEFAULT_RETENTION_MS,
): LedgerBegin {
  const row = sql
    .exec<Row>(
      "SELECT fingerprint, state, response, pending_until, expires_at FROM idempotency_keys WHERE key = ?",
      key,
    )
    .toArray()[0];
  const live = row && row.expires_at > now;
  if (live && row.fingerprint !== fingerprint) return { outcome: "mismatch" };
  if (live && row.state === "done" && row.response) {
    // zod at the storage boundary: a row that does not parse is a bug, not a replay.
    return { outcome: "replay", response: storedResponse.parse(JSON.parse(row.response)) };
  }
  if (live && row.state === "pending" && row.pending_until > now) return { outcome: "in-flight" };
  sql.exec(
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

/** What beginAction would answer, without taking the key. */
export function peekAction(sql: SqlStorage, key: string, now: number): LedgerBegin {
  const row = sql
    .exec<Row>(
      "SELECT fingerprint, state, response, pending_until, expires_at FROM idempotency_keys WHERE key = ?",
      key,
    )
    .toArray()[0];
  if (!row || row.expires_at <= now) return { outcome: "proceed" };
  if (row.state === "done" && row.response) {
    return { outcome: "replay", response: storedResponse.parse(JSON.parse(row.response)) };
  }
  if (row.state === "pending" && row.pending_until > now) return { outcome: "in-flight" };
  return { outcome: "proceed" };
}

export function completeAction(sql: SqlStorage, key: string, fingerprint: string, response: StoredResponse): void {
  sql.exec(
    "UPDATE idempotency_keys SET state = 'done', response = ? WHERE key = ? AND fingerprint = ? AND state = 'pending'",
    JSON.stringify(storedResponse.parse(response)),
    key,
    fingerprint,
  );
}

export function releaseAction(sql: SqlStorage, key: string, fingerprint: string): void {
  sql.exec("DELETE FROM idempotency_keys WHERE key = ? AND fingerprint = ? AND state = 'pending'", key, fingerprint);
}

/** Deletes expired keys; returns the next expiry still stored, if any. */
export function pruneActions(sql: SqlStorage, now: number): number | undefined {
  sql.exec("DELETE FROM idempotency_keys WHERE expires_at <= ?", now);
  const next = sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM idempotency_keys").one().next;
  return next ?? undefined;
}
