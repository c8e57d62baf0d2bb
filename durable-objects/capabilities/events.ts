import { z } from "zod";
import type { SqliteMigration } from "../sqlite-migrations";

/**
 * The tenant's event log: every ticket change and entity mutation, in order,
 * with a monotonic sequence. Bounded (about the newest EVENT_LOG_LIMIT
 * numbers), so a client that reconnects with the last sequence it saw
 * resumes without gaps unless it was away for longer than the log holds, or
 * the object lost unwritten announcements in a crash (EventLog below) — then
 * it is told to reload (`gap: true`).
 */
export const eventMigrations: readonly SqliteMigration[] = [
  {
    id: "events/1",
    sql: `CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            channel TEXT NOT NULL,
            type TEXT NOT NULL,
            data TEXT NOT NULL,
            at INTEGER NOT NULL
          );
          CREATE INDEX events_channel ON events (channel, seq);`,
  },
  {
    // Events are written behind (decision 033): the numbers handed out are reserved here,
    // `unflushed_from` marks a window of events still only in memory, and `lost_through` is the
    // number below which a cursor may have missed events a restart lost.
    id: "events/2",
    sql: `CREATE TABLE event_sequence (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            reserved_through INTEGER NOT NULL,
            unflushed_from INTEGER,
            lost_through INTEGER NOT NULL DEFAULT 0
          )`,
  },
];

export const EVENT_LOG_LIMIT = 1_000;

/**
 * Logged events wait in memory at most this long, then one timer writes them
 * all (and trims the log back to EVENT_LOG_LIMIT rows) in one commit. A
 * commit at the end of every publishing call was the largest single cost of
 * an entity write inside the tenant object (decision 033).
 */
export const EVENT_WRITE_BEHIND_MS = 250;

/** Sequence numbers are reserved this many at a time, so none is handed out twice across a restart. */
export const EVENT_SEQUENCE_BLOCK = 64;

/**
 * A channel a client may subscribe to: `{kind}:{id}` or `{kind}:*`. `project`
 * carries spend-cap pauses, `webhook` endpoint health (a disabled endpoint).
 */
export const CHANNEL_PATTERN = /^(ticket|entity|call|lead|project|webhook):([A-Za-z0-9_-]{1,64}|\*)$/;

const tenantEvent = z.object({
  seq: z.number().int(),
  channel: z.string(),
  type: z.string(),
  /** JSON text, parsed where it is served. */
  dataJson: z.string(),
  at: z.string(),
});
export type TenantEvent = z.infer<typeof tenantEvent>;

type Row = { seq: number; channel: string; type: string; data: string; at: number };

const toEvent = (row: Row): TenantEvent =>
  tenantEvent.parse({
    seq: row.seq,
    channel: row.channel,
    type: row.type,
    dataJson: row.data,
    at: new Date(row.at).toISOString(),
  });

/** `entity:*` matches every channel that starts with `entity:`; anything else matches exactly. */
export function matches(channel: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith(":*") ? channel.startsWith(p.slice(0, -1)) : channel === p));
}

export interface EventPage {
  events: TenantEvent[];
  /** The cursor is older than the log holds: the client missed events and should reload. */
  gap: boolean;
  latest: number;
}

interface EventsHost {
  sql: SqlStorage;
  now(): number;
  /** Hands a just-logged event on (sockets, webhook outbox). Runs before `record` returns. */
  fanOut(event: TenantEvent): Promise<void>;
}

/**
 * Where the sequence stands: the next number, the highest reserved, and — after
 * a restart that lost a window of unwritten events — the number below which a
 * cursor may have missed some (0 when nothing was lost).
 */
interface Sequence {
  next: number;
  reservedThrough: number;
  lostThrough: number;
}

/**
 * The log. Events are numbered and handed on at once. Those logged `behind`
 * are written later: the call that opens a window of unwritten events marks
 * it, and a timer writes the window EVENT_WRITE_BEHIND_MS later and clears
 * the mark (an event logged `now` writes any window before it, in order).
 * Numbers are reserved in blocks. An object that dies inside a window finds
 * the mark on its restart: the numbers up to its reservation are never used
 * again (webhook event ids are built from them), and a client whose cursor is
 * below them is told there is a gap, as if it had fallen behind the bounded
 * log, and reloads.
 */
export class EventLog {
  /** Long-poll callers parked until the next event. In memory: after an eviction they simply time out. */
  private readonly pollers = new Set<() => void>();
  private sequence: Sequence | undefined;
  /** Handed on but not yet written, in order. */
  private unwritten: Row[] = [];
  private writeBehind: ReturnType<typeof setTimeout> | undefined;
  /** The stored mark says a window of events is only in memory. */
  private windowMarked = false;

  constructor(private readonly host: EventsHost) {}

  /**
   * Logs the event, wakes pollers and fans it out. `behind` is for calls that
   * write nothing else (an entity change's announcement): the event is
   * written by the write-behind timer, so the call ends without a commit.
   * Calls that write anyway (a ticket's step, a settle) log `now`, in their
   * own commit, and survive whatever happens next.
   */
  async record(channel: string, type: string, dataJson: string, write: "now" | "behind" = "now"): Promise<TenantEvent> {
    const event = this.append(channel, type, dataJson, write === "behind");
    const pollers = [...this.pollers];
    this.pollers.clear();
    for (const wake of pollers) wake();
    await this.host.fanOut(event);
    return event;
  }

  /**
   * Events after `cursor` on the given channels. With `waitMs`, parks until
   * one arrives or the time is up (the long-poll fallback for networks that
   * block WebSockets).
   */
  async poll(cursor: number, channels: string[], waitMs = 0, limit = 100): Promise<EventPage & { cursor: number }> {
    const deadline = this.host.now() + waitMs;
    for (;;) {
      const page = this.after(cursor, channels, limit);
      const remaining = deadline - this.host.now();
      if (page.events.length > 0 || page.gap || remaining <= 0) {
        const last = page.events[page.events.length - 1];
        return { ...page, cursor: last ? last.seq : Math.max(cursor, page.gap ? page.latest : cursor) };
      }
      await new Promise<void>((resolve) => {
        this.pollers.add(resolve);
        setTimeout(() => {
          this.pollers.delete(resolve);
          resolve();
        }, remaining);
      });
    }
  }

  after(cursor: number, patterns: readonly string[], limit: number): EventPage {
    const { sql } = this.host;
    this.write();
    const sequence = this.loadSequence();
    const oldest = sql.exec<{ seq: number | null }>("SELECT MIN(seq) AS seq FROM events").one().seq;
    const latest = sequence.next - 1;
    const gap = cursor > 0 && ((oldest !== null && cursor < oldest - 1) || cursor < sequence.lostThrough);
    const events = sql
      .exec<Row>("SELECT * FROM events WHERE seq > ? ORDER BY seq", cursor)
      .toArray()
      .filter((row) => matches(row.channel, patterns))
      .slice(0, limit)
      .map(toEvent);
    return { events, gap, latest };
  }

  /** Writes the unwritten events, trims the log and clears the window's mark: one commit. */
  write(): void {
    clearTimeout(this.writeBehind);
    this.writeBehind = undefined;
    if (this.unwritten.length === 0) return;
    const { sql } = this.host;
    const rows = this.unwritten;
    this.unwritten = [];
    for (const row of rows) {
      try {
        sql.exec(
          "INSERT INTO events (seq, channel, type, data, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING",
          row.seq,
          row.channel,
          row.type,
          row.data,
          row.at,
        );
      } catch (error) {
        // A row SQLite refuses (too large, storage full) must not hold up every later write.
        this.markLost(row.seq);
        console.error(JSON.stringify({ level: "error", msg: "event not logged", seq: row.seq, error: String(error) }));
      }
    }
    const last = (rows[rows.length - 1] as Row).seq;
    sql.exec("DELETE FROM events WHERE seq <= ?", last - EVENT_LOG_LIMIT);
    if (this.windowMarked) sql.exec("UPDATE event_sequence SET unflushed_from = NULL");
    this.windowMarked = false;
  }

  private append(channel: string, type: string, dataJson: string, behind: boolean): TenantEvent {
    const now = this.host.now();
    const sequence = this.loadSequence();
    const seq = sequence.next;
    sequence.next += 1;
    const reserves = seq > sequence.reservedThrough;
    if (reserves) sequence.reservedThrough = seq + EVENT_SEQUENCE_BLOCK - 1;
    const marks = behind && !this.windowMarked;
    if (reserves || marks) {
      this.host.sql.exec(
        `INSERT INTO event_sequence (id, reserved_through, unflushed_from) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET reserved_through = excluded.reserved_through,
           unflushed_from = COALESCE(event_sequence.unflushed_from, excluded.unflushed_from)`,
        sequence.reservedThrough,
        marks ? seq : null,
      );
      if (marks) this.windowMarked = true;
    }
    this.unwritten.push({ seq, channel, type, data: dataJson, at: now });
    if (!behind) this.write();
    else this.writeBehind ??= setTimeout(() => this.write(), EVENT_WRITE_BEHIND_MS);
    return { seq, channel, type, dataJson, at: new Date(now).toISOString() };
  }

  /**
   * Read once per object life. With no mark, every number handed out was
   * written, so numbering resumes after the last one logged and the rest of
   * the reservation is still ours to use: an object evicted between sparse
   * writes does not skip a block each time. With the mark, the last life died
   * inside a window: any number up to its reservation may have gone out
   * unwritten, so numbering resumes above it, and cursors below it are sent
   * to reload.
   */
  private loadSequence(): Sequence {
    if (this.sequence) return this.sequence;
    const { sql } = this.host;
    const logged = sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM events").one().seq ?? 0;
    const mark = sql
      .exec<{ reserved_through: number; unflushed_from: number | null; lost_through: number }>(
        "SELECT reserved_through, unflushed_from, lost_through FROM event_sequence",
      )
      .toArray()[0];
    const reservedThrough = Math.max(logged, mark?.reserved_through ?? 0);
    let lostThrough = mark?.lost_through ?? 0;
    let next = Math.max(logged, lostThrough) + 1;
    if (mark && mark.unflushed_from !== null) {
      lostThrough = reservedThrough;
      next = reservedThrough + 1;
      sql.exec("UPDATE event_sequence SET unflushed_from = NULL, lost_through = ?", lostThrough);
    }
    this.sequence = { next, reservedThrough, lostThrough };
    return this.sequence;
  }

  /** Events that could not be written are lost like a window in a crash: cursors below them reload. */
  private markLost(seq: number): void {
    const sequence = this.loadSequence();
    if (seq <= sequence.lostThrough) return;
    sequence.lostThrough = seq;
    this.host.sql.exec("UPDATE event_sequence SET lost_through = ? WHERE lost_through < ?", seq, seq);
  }
}
