import { z } from "zod";
import type { Timer } from "../alarm-scheduler";
import type { SqliteMigration } from "../sqlite-migrations";

/**
 * Tickets: a unit of background work and its observable state.
 * A ticket is written together with its "outbox" mark (`sent_at` NULL) in
 * one synchronous transaction; the queue message goes out afterwards and
 * marks it sent. If the object dies in between, its alarm finds the unsent
 * ticket and sends it again — a ticket never sits queued forever. The queue
 * delivers at least once, so starting a ticket is idempotent too: a running
 * ticket holds a lease (renewed by its progress reports), and a second copy of
 * its message is told "busy" until the lease runs out — only then is the
 * runner taken for dead and the ticket run again. Every change is published as
 * a `ticket.{status}` event on `ticket:{id}`.
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
  {
    // The runner's lease (see start), and a key that makes a ticket exist at most once (see create).
    id: "tickets/2",
    sql: `ALTER TABLE tickets ADD COLUMN lease_until INTEGER;
          ALTER TABLE tickets ADD COLUMN once_key TEXT;
          CREATE UNIQUE INDEX tickets_once_key ON tickets (once_key) WHERE once_key IS NOT NULL;`,
  },
  {
    // A lease shorter than the queue runner's, for a ticket started where it was made (see createStarted).
    id: "tickets/3",
    sql: "ALTER TABLE tickets ADD COLUMN lease_ms INTEGER;",
  },
  {
    // A key that makes a ticket run at most once at a time: unique only among queued and running tickets (see create).
    id: "tickets/4",
    sql: `ALTER TABLE tickets ADD COLUMN active_key TEXT;
          CREATE UNIQUE INDEX tickets_active_key ON tickets (active_key)
            WHERE active_key IS NOT NULL AND status IN ('queued', 'processing');`,
  },
];

const ticketStatus = z.enum(["queued", "processing", "completed", "failed", "cancelled"]);
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
  lease_until: number | null;
  once_key: string | null;
  lease_ms: number | null;
  active_key: string | null;
};

export const DEFAULT_TICKET_TTL_MS = 60 * 60 * 1000;
/** An unsent ticket older than this is re-sent by the alarm. */
const OUTBOX_GRACE_MS = 2_000;
/**
 * How long a runner may go without a sign of life (its start or a progress
 * report) before its ticket is taken for abandoned and run again. Sized to the
 * longest agent's run between two progress reports.
 */
export const TICKET_LEASE_MS = 5 * 60 * 1000;
/**
 * The lease of a ticket started where it was made (the intake request runs
 * the lead's bridge itself, decision 025): its runner is a request's
 * waitUntil, which lives at most 30 s after the answer, so a runner that died
 * is known dead sooner, and the queue takes the ticket over.
 */
export const STARTED_HERE_LEASE_MS = 30 * 1000;
/** A finished ticket is forgotten at its expiry; Postgres keeps the history. */
const FINISHED: ReadonlySet<TicketStatus> = new Set(["completed", "failed", "cancelled"]);

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

/** What starting a ticket gives the queue consumer. */
export type TicketStart =
  | { outcome: "started"; ticket: Ticket; paramsJson: string }
  /** Another runner holds a live lease: this copy of the message must not run it now. */
  | { outcome: "busy"; leaseEndsInMs: number }
  /** Finished, cancelled or unknown: nothing to run. */
  | { outcome: "gone" };

type Outcome = { status: "completed"; resultJson: string } | { status: "failed"; error: string };

/** One queue message for a stored ticket (its params were checked when it was made). */
interface TicketMessage {
  task: string;
  tenantId: string;
  ticketId: string;
  params: unknown;
}

interface TicketsHost {
  sql: SqlStorage;
  now(): number;
  scheduleBy(at: number): Promise<void>;
  /** Undefined until the object is told; the outbox timer needs it to address messages. */
  tenantId(): string | undefined;
  publish(channel: string, type: string, dataJson: string): Promise<unknown>;
  send(message: TicketMessage): Promise<void>;
}

export class Tickets {
  readonly timers: readonly Timer[] = [
    {
      // A ticket whose queue message never went out (the object died in between) is sent again;
      // so is one started where it was made whose runner failed or went silent (the queue is its retry path).
      name: "ticket-outbox",
      nextDue: () => {
        const { queued, started } = this.host.sql
          .exec<{ queued: number | null; started: number | null }>(
            `SELECT MIN(CASE WHEN status = 'queued' THEN created_at END) AS queued,
                    MIN(CASE WHEN status = 'processing' THEN COALESCE(lease_until, 0) END) AS started
             FROM tickets WHERE sent_at IS NULL AND status IN ('queued', 'processing')`,
          )
          .one();
        const due = [queued === null ? undefined : queued + OUTBOX_GRACE_MS, started ?? undefined].filter(
          (at): at is number => at !== undefined,
        );
        return due.length > 0 ? Math.min(...due) : undefined;
      },
      run: (now) => this.resendUnsent(now - OUTBOX_GRACE_MS, now),
    },
    {
      name: "ticket-ttl",
      nextDue: () => this.nextExpiry(),
      run: (now) => {
        this.host.sql.exec(
          "DELETE FROM tickets WHERE expires_at <= ? AND status IN ('completed', 'failed', 'cancelled')",
          now,
        );
      },
    },
  ];

  constructor(private readonly host: TicketsHost) {}

  /**
   * Records the ticket and its outbox mark, then sends the queue message. A
   * crash between the two is repaired by the ticket-outbox timer, which
   * re-sends unsent tickets after OUTBOX_GRACE_MS. With `onceKey`, a ticket
   * already made under that key is answered instead (the check and the insert
   * are one synchronous step, so two callers cannot both make one). With
   * `activeKey`, a ticket under that key that is still queued or running is
   * answered instead: the second request joins the run in progress, and a
   * request after it finished starts a new one.
   */
  async create(
    tenantId: string,
    task: string,
    params: unknown,
    ttlMs = DEFAULT_TICKET_TTL_MS,
    onceKey?: string,
    activeKey?: string,
  ): Promise<Ticket> {
    if (onceKey) {
      const existing = this.host.sql.exec<Row>("SELECT * FROM tickets WHERE once_key = ?", onceKey).toArray()[0];
      if (existing) return toTicket(existing);
    }
    if (activeKey) {
      const running = this.host.sql
        .exec<Row>("SELECT * FROM tickets WHERE active_key = ? AND status IN ('queued', 'processing')", activeKey)
        .toArray()[0];
      if (running) return toTicket(running);
    }
    const id = crypto.randomUUID();
    const now = this.host.now();
    this.host.sql.exec(
      `INSERT INTO tickets (id, task, params, status, created_at, updated_at, expires_at, sent_at, once_key, active_key)
       VALUES (?, ?, ?, 'queued', ?, ?, ?, NULL, ?, ?)`,
      id,
      task,
      JSON.stringify(params ?? {}),
      now,
      now,
      now + ttlMs,
      onceKey ?? null,
      activeKey ?? null,
    );
    const created = this.get(id) as Ticket;
    await this.publish(created);
    await this.host.scheduleBy(now + OUTBOX_GRACE_MS);
    await this.send(tenantId, id, task, params);
    return this.get(id) ?? created;
  }

  /**
   * A ticket its maker runs at once, no queue in between: stored already
   * processing, under a short lease (STARTED_HERE_LEASE_MS), and unsent. In
   * the usual case the maker finishes it and no queue message ever exists.
   * If the runner fails (release) or falls silent past its lease, the outbox
   * timer sends the message and the queue runs it as any other ticket. With
   * `onceKey`, the ticket already made under that key is answered, not
   * started: whoever made it runs it.
   */
  async createStarted(
    task: string,
    params: unknown,
    ttlMs = DEFAULT_TICKET_TTL_MS,
    onceKey?: string,
  ): Promise<{ ticket: Ticket; paramsJson?: string }> {
    if (onceKey) {
      const existing = this.host.sql.exec<Row>("SELECT * FROM tickets WHERE once_key = ?", onceKey).toArray()[0];
      if (existing) return { ticket: toTicket(existing) };
    }
    const id = crypto.randomUUID();
    const now = this.host.now();
    const paramsJson = JSON.stringify(params ?? {});
    this.host.sql.exec(
      `INSERT INTO tickets (id, task, params, status, attempts, created_at, updated_at, expires_at, sent_at, once_key,
         lease_until, lease_ms)
       VALUES (?, ?, ?, 'processing', 1, ?, ?, ?, NULL, ?, ?, ?)`,
      id,
      task,
      paramsJson,
      now,
      now,
      now + ttlMs,
      onceKey ?? null,
      now + STARTED_HERE_LEASE_MS,
      STARTED_HERE_LEASE_MS,
    );
    const created = this.get(id) as Ticket;
    await this.publish(created);
    await this.host.scheduleBy(now + STARTED_HERE_LEASE_MS);
    return { ticket: created, paramsJson };
  }

  get(id: string): Ticket | undefined {
    const found = this.row(id);
    return found ? toTicket(found) : undefined;
  }

  list(status: TicketStatus | undefined, limit: number): Ticket[] {
    const { sql } = this.host;
    const rows = status
      ? sql.exec<Row>("SELECT * FROM tickets WHERE status = ? ORDER BY created_at DESC LIMIT ?", status, limit)
      : sql.exec<Row>("SELECT * FROM tickets ORDER BY created_at DESC LIMIT ?", limit);
    return rows.toArray().map(toTicket);
  }

  /**
   * A stage of a run its runner works through itself (a pSEO pipeline's
   * stages): stored processing and already sent, so no queue message ever
   * runs it; the runner completes or fails it. A stage of the same parent
   * still open from a runner that died is failed first: this attempt takes
   * it over. Retrying the stage's ticket runs the pipeline from that stage.
   */
  async openStage(parentId: string, task: string, params: Record<string, unknown>): Promise<Ticket> {
    const now = this.host.now();
    this.host.sql.exec(
      `UPDATE tickets SET status = 'failed', error = 'superseded: the run went through this stage again', updated_at = ?
       WHERE task = ? AND json_extract(params, '$.parentId') = ? AND status IN ('queued', 'processing')`,
      now,
      task,
      parentId,
    );
    const id = crypto.randomUUID();
    this.host.sql.exec(
      `INSERT INTO tickets (id, task, params, status, attempts, created_at, updated_at, expires_at, sent_at)
       VALUES (?, ?, ?, 'processing', 1, ?, ?, ?, ?)`,
      id,
      task,
      JSON.stringify({ ...params, parentId }),
      now,
      now,
      now + DEFAULT_TICKET_TTL_MS,
      now,
    );
    const opened = this.get(id) as Ticket;
    await this.publish(opened);
    return opened;
  }

  /** The stages a run opened, in order (its child tickets). */
  stagesOf(parentId: string): Ticket[] {
    return this.host.sql
      .exec<Row>(
        "SELECT * FROM tickets WHERE json_extract(params, '$.parentId') = ? ORDER BY created_at, rowid",
        parentId,
      )
      .toArray()
      .map(toTicket);
  }

  /**
   * One task's top-level tickets whose params name `projectId`, newest first
   * (a project's hunts, its pSEO runs); a run's stages and pages are read with stagesOf.
   */
  listForProject(task: string, projectId: string, limit: number): Ticket[] {
    return this.host.sql
      .exec<Row>(
        `SELECT * FROM tickets WHERE task = ? AND json_extract(params, '$.projectId') = ?
           AND json_extract(params, '$.parentId') IS NULL
         ORDER BY created_at DESC LIMIT ?`,
        task,
        projectId,
        limit,
      )
      .toArray()
      .map(toTicket);
  }

  /**
   * For the queue consumer: takes the ticket under a fresh lease if it is
   * queued, or processing under a lease that ran out (its runner died; a
   * ticket from before leases has none and counts as run out). Counts the
   * attempt. `started` carries the params as stored (JSON text, parsed by the
   * consumer against the agent's own schema); a live lease answers `busy`.
   */
  async start(id: string): Promise<TicketStart> {
    const now = this.host.now();
    const started = this.changed(
      id,
      `UPDATE tickets SET status = 'processing', attempts = attempts + 1, updated_at = ?, sent_at = COALESCE(sent_at, ?),
         lease_until = ?, lease_ms = NULL
       WHERE id = ? AND (status = 'queued' OR (status = 'processing' AND COALESCE(lease_until, 0) <= ?))`,
      now,
      now,
      now + TICKET_LEASE_MS,
      id,
      now,
    );
    if (started) {
      await this.publish(started);
      return { outcome: "started", ticket: started, paramsJson: this.row(id)?.params ?? "{}" };
    }
    const current = this.row(id);
    if (current?.status === "processing") {
      return { outcome: "busy", leaseEndsInMs: Math.max(0, (current.lease_until ?? now) - now) };
    }
    return { outcome: "gone" };
  }

  async progress(id: string, progress: number, message: string): Promise<Ticket | undefined> {
    const ticket = this.changed(
      id,
      // A progress report is the runner's sign of life: it renews the lease.
      `UPDATE tickets SET progress = ?, message = ?, updated_at = ?, lease_until = ? + COALESCE(lease_ms, ?)
       WHERE id = ? AND status = 'processing'`,
      Math.max(0, Math.min(100, Math.round(progress))),
      message,
      this.host.now(),
      this.host.now(),
      TICKET_LEASE_MS,
      id,
    );
    await this.publish(ticket);
    return ticket;
  }

  /**
   * The runner failed and its message will be retried: the ticket stays
   * processing with the failure as its message, and the lease ends now so the
   * retried copy may take it.
   */
  async release(id: string, message: string): Promise<Ticket | undefined> {
    const ticket = this.changed(
      id,
      "UPDATE tickets SET progress = 0, message = ?, updated_at = ?, lease_until = NULL WHERE id = ? AND status = 'processing'",
      message,
      this.host.now(),
      id,
    );
    await this.publish(ticket);
    // A ticket started where it was made has no queue message yet: the outbox timer sends one now.
    if (ticket && this.row(id)?.sent_at === null) await this.host.scheduleBy(this.host.now());
    return ticket;
  }

  async finish(id: string, outcome: Outcome): Promise<Ticket | undefined> {
    const now = this.host.now();
    const ticket =
      outcome.status === "completed"
        ? this.changed(
            id,
            `UPDATE tickets SET status = 'completed', progress = 100, result = ?, error = NULL, updated_at = ?
             WHERE id = ? AND status = 'processing'`,
            outcome.resultJson,
            now,
            id,
          )
        : this.changed(
            id,
            `UPDATE tickets SET status = 'failed', error = ?, updated_at = ?
             WHERE id = ? AND status IN ('queued', 'processing')`,
            outcome.error,
            now,
            id,
          );
    await this.publish(ticket);
    return ticket;
  }

  async cancel(id: string): Promise<Ticket | undefined> {
    this.host.sql.exec(
      "UPDATE tickets SET status = 'cancelled', updated_at = ? WHERE id = ? AND status IN ('queued', 'processing')",
      this.host.now(),
      id,
    );
    const ticket = this.get(id);
    await this.publish(ticket);
    return ticket;
  }

  /** failed → queued again, unsent, and sent; `undefined` when it is not failed. */
  async retry(tenantId: string, id: string): Promise<Ticket | undefined> {
    const now = this.host.now();
    const activeKey = this.row(id)?.active_key;
    if (activeKey) {
      const running = this.host.sql
        .exec<{ id: string }>(
          "SELECT id FROM tickets WHERE active_key = ? AND status IN ('queued', 'processing') AND id <> ?",
          activeKey,
          id,
        )
        .toArray()[0];
      // Another run of the same thing is under way: this one is not run beside it.
      if (running) return undefined;
    }
    const requeued = this.changed(
      id,
      `UPDATE tickets SET status = 'queued', progress = 0, message = 'retry requested', error = NULL, result = NULL,
         updated_at = ?, sent_at = NULL
       WHERE id = ? AND status = 'failed'`,
      now,
      id,
    );
    if (!requeued) return undefined;
    await this.publish(requeued);
    await this.host.scheduleBy(now + OUTBOX_GRACE_MS);
    await this.send(tenantId, id, requeued.task, JSON.parse(this.row(id)?.params ?? "{}"));
    return this.get(id);
  }

  private async resendUnsent(createdBy: number, now: number): Promise<void> {
    const tenantId = this.host.tenantId();
    if (!tenantId) return;
    const unsent = this.host.sql
      .exec<{ id: string; task: string; params: string }>(
        `SELECT id, task, params FROM tickets WHERE sent_at IS NULL AND (
           (status = 'queued' AND created_at <= ?) OR (status = 'processing' AND COALESCE(lease_until, 0) <= ?))`,
        createdBy,
        now,
      )
      .toArray();
    for (const t of unsent) await this.send(tenantId, t.id, t.task, JSON.parse(t.params));
  }

  private async send(tenantId: string, ticketId: string, task: string, params: unknown): Promise<void> {
    await this.host.send({ task, tenantId, ticketId, params });
    this.host.sql.exec("UPDATE tickets SET sent_at = ? WHERE id = ? AND sent_at IS NULL", this.host.now(), ticketId);
  }

  /** Publishes the change without the result (which can be large; readers fetch the ticket). */
  private async publish(ticket: Ticket | undefined): Promise<void> {
    if (!ticket) return;
    const { resultJson: _omitted, ...summary } = ticket;
    await this.host.publish(`ticket:${ticket.id}`, `ticket.${ticket.status}`, JSON.stringify(summary));
    if (FINISHED.has(ticket.status)) await this.host.scheduleBy(Date.parse(ticket.expiresAt));
  }

  /** Runs an UPDATE on ticket `id`; the ticket as it is now if a row changed, else undefined. */
  private changed(id: string, query: string, ...bindings: (string | number | null)[]): Ticket | undefined {
    return this.host.sql.exec(query, ...bindings).rowsWritten > 0 ? this.get(id) : undefined;
  }

  private row(id: string): Row | undefined {
    return this.host.sql.exec<Row>("SELECT * FROM tickets WHERE id = ?", id).toArray()[0];
  }

  private nextExpiry(): number | undefined {
    return (
      this.host.sql
        .exec<{ next: number | null }>(
          "SELECT MIN(expires_at) AS next FROM tickets WHERE status IN ('completed', 'failed', 'cancelled')",
        )
        .one().next ?? undefined
    );
  }
}
