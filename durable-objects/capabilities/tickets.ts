import { z } from "zod";
import type { SqliteMigration } from "../sqlite-migrations";

/**
 * Tickets: a unit of background work and its observable state (SPEC §3).
 * A ticket is written together with its "outbox" mark (`sent_at` NULL) in
 * one synchronous transaction; the queue message goes out afterwards and
 * marks it sent. If the object dies in between, its alarm finds the unsent
 * ticket and sends it again — a ticket never sits queued forever. The queue
 * delivers at least once, so starting a ticket is idempotent too.
 */
export const ticketMigrations: readonly SqliteMigration[] = [
  {
    id: "tickets/1",
    sql: `CREATE TABLE tickets (
            id TEXT PRIMARY KEY,
            task TEXT NOT NULL,
            params TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
            progress INTEGER NOT NULL DEFAULT 0,
            message TEXT NOT NULL DEFAULT '',
            result TEXT,
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            sent_at INTEGER
          );
          CREATE INDEX tickets_status ON tickets (status, created_at);
          CREATE INDEX tickets_unsent ON tickets (sent_at) WHERE sent_at IS NULL;`,
  },
];

export const ticketStatus = z.enum(["queued", "processing", "completed", "failed", "cancelled"]);
export type TicketStatus = z.infer<typeof ticketStatus>;

/** zod at the storage boundary: what comes back out of SQLite is checked. */
export const ticket = z.object({
  id: z.string(),
  task: z.string(),
  status: ticketStatus,
  progress: z.number().int().min(0).max(100),
  message: z.string(),
  /** JSON text: kept as text across RPC, parsed where it is served. */
  resultJson: z.string().nullable(),
  error: z.string().nullable(),
  attempts: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string(),
});
export type Ticket = z.infer<typeof ticket>;

type Row = {
  id: string;
  task: string;
  params: string;
  status: string;
  progress: number;
  message: string;
  result: string | null;
  error: string | null;
  attempts: number;
  created_at: number;
  updated_at: number;
  expires_at: number;
  sent_at: number | null;
};

export const DEFAULT_TICKET_TTL_MS = 60 * 60 * 1000;
/** An unsent ticket older than this is re-sent by the alarm. */
export const OUTBOX_GRACE_MS = 2_000;

function toTicket(row: Row): Ticket {
  return ticket.parse({
    id: row.id,
    task: row.task,
    status: row.status,
    progress: row.progress,
    message: row.message,
    resultJson: row.result,
    error: row.error,
    attempts: row.attempts,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
  });
}

function row(sql: SqlStorage, id: string): Row | undefined {
  return sql.exec<Row>("SELECT * FROM tickets WHERE id = ?", id).toArray()[0];
}

export function insertTicket(
  sql: SqlStorage,
  id: string,
  task: string,
  params: unknown,
  now: number,
  ttlMs: number,
): Ticket {
  sql.exec(
    `INSERT INTO tickets (id, task, params, status, created_at, updated_at, expires_at, sent_at)
     VALUES (?, ?, ?, 'queued', ?, ?, ?, NULL)`,
    id,
    task,
    JSON.stringify(params ?? {}),
    now,
    now,
    now + ttlMs,
  );
  return toTicket(row(sql, id) as Row);
}

export function readTicket(sql: SqlStorage, id: string): Ticket | undefined {
  const found = row(sql, id);
  return found ? toTicket(found) : undefined;
}

/** The params as stored (JSON text): parsed by the consumer against the agent's own schema. */
export function ticketParams(sql: SqlStorage, id: string): string | undefined {
  return row(sql, id)?.params;
}

export function listTickets(sql: SqlStorage, status: TicketStatus | undefined, limit: number): Ticket[] {
  const rows = status
    ? sql.exec<Row>("SELECT * FROM tickets WHERE status = ? ORDER BY created_at DESC LIMIT ?", status, limit)
    : sql.exec<Row>("SELECT * FROM tickets ORDER BY created_at DESC LIMIT ?", limit);
  return rows.toArray().map(toTicket);
}

export function markSent(sql: SqlStorage, id: string, now: number): void {
  sql.exec("UPDATE tickets SET sent_at = ? WHERE id = ? AND sent_at IS NULL", now, id);
}

export function unsentTickets(sql: SqlStorage, olderThan: number): { id: string; task: string; params: unknown }[] {
  return sql
    .exec<{ id: string; task: string; params: string }>(
      "SELECT id, task, params FROM tickets WHERE sent_at IS NULL AND status = 'queued' AND created_at <= ?",
      olderThan,
    )
    .toArray()
    .map((r) => ({ id: r.id, task: r.task, params: JSON.parse(r.params) }));
}

/** queued/processing → processing, counting the attempt; anything finished stays as it is. */
export function startTicket(sql: SqlStorage, id: string, now: number): Ticket | undefined {
  const cursor = sql.exec(
    `UPDATE tickets SET status = 'processing', attempts = attempts + 1, updated_at = ?, sent_at = COALESCE(sent_at, ?)
     WHERE id = ? AND status IN ('queued', 'processing')`,
    now,
    now,
    id,
  );
  return cursor.rowsWritten > 0 ? readTicket(sql, id) : undefined;
}

export function setProgress(
  sql: SqlStorage,
  id: string,
  progress: number,
  message: string,
  now: number,
): Ticket | undefined {
  const cursor = sql.exec(
    "UPDATE tickets SET progress = ?, message = ?, updated_at = ? WHERE id = ? AND status = 'processing'",
    Math.max(0, Math.min(100, Math.round(progress))),
    message,
    now,
    id,
  );
  return cursor.rowsWritten > 0 ? readTicket(sql, id) : undefined;
}

export function finishTicket(
  sql: SqlStorage,
  id: string,
  outcome: { status: "completed"; resultJson: string } | { status: "failed"; error: string },
  now: number,
): Ticket | undefined {
  const cursor =
    outcome.status === "completed"
      ? sql.exec(
          `UPDATE tickets SET status = 'completed', progress = 100, result = ?, error = NULL, updated_at = ?
           WHERE id = ? AND status = 'processing'`,
          outcome.resultJson,
          now,
          id,
        )
      : sql.exec(
          `UPDATE tickets SET status = 'failed', error = ?, updated_at = ?
           WHERE id = ? AND status IN ('queued', 'processing')`,
          outcome.error,
          now,
          id,
        );
  return cursor.rowsWritten > 0 ? readTicket(sql, id) : undefined;
}

export function cancelTicket(sql: SqlStorage, id: string, now: number): Ticket | undefined {
  sql.exec(
    "UPDATE tickets SET status = 'cancelled', updated_at = ? WHERE id = ? AND status IN ('queued', 'processing')",
    now,
    id,
  );
  return readTicket(sql, id);
}

/** failed → queued again, unsent: the caller sends it (and the alarm would, if the caller died). */
export function requeueTicket(sql: SqlStorage, id: string, now: number): Ticket | undefined {
  const cursor = sql.exec(
    `UPDATE tickets SET status = 'queued', progress = 0, message = 'retry requested', error = NULL, result = NULL,
       updated_at = ?, sent_at = NULL
     WHERE id = ? AND status = 'failed'`,
    now,
    id,
  );
  return cursor.rowsWritten > 0 ? readTicket(sql, id) : undefined;
}

export function pruneTickets(sql: SqlStorage, now: number): void {
  sql.exec("DELETE FROM tickets WHERE expires_at <= ? AND status IN ('completed', 'failed', 'cancelled')", now);
}
