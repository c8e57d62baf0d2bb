import { z } from "zod";
import type { SqliteMigration } from "../sqlite-migrations";

/**
 * The tenant's event log: every ticket change and entity mutation, in order,
 * with a monotonic sequence. Bounded (the newest EVENT_LOG_LIMIT rows), so a
 * client that reconnects with the last sequence it saw resumes without gaps
 * unless it was away for longer than the log holds — then it is told to
 * reload (`gap: true`).
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
];

export const EVENT_LOG_LIMIT = 1_000;

/**
 * The log is trimmed back to EVENT_LOG_LIMIT rows on every this-many-th
 * event, not on each one: a delete per event was a measurable share of
 * publishing (decision 032). So it holds up to LIMIT + TRIM_EVERY - 1 rows.
 */
export const EVENT_LOG_TRIM_EVERY = 64;

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

export class EventLog {
  /** Long-poll callers parked until the next event. In memory: after an eviction they simply time out. */
  private readonly pollers = new Set<() => void>();

  constructor(private readonly host: EventsHost) {}

  /** Logs the event, wakes pollers and fans it out. */
  async record(channel: string, type: string, dataJson: string): Promise<TenantEvent> {
    const event = this.append(channel, type, dataJson);
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
    const oldest = sql.exec<{ seq: number | null }>("SELECT MIN(seq) AS seq FROM events").one().seq;
    const latest = sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM events").one().seq ?? 0;
    const gap = cursor > 0 && oldest !== null && cursor < oldest - 1;
    const events = sql
      .exec<Row>("SELECT * FROM events WHERE seq > ? ORDER BY seq", cursor)
      .toArray()
      .filter((row) => matches(row.channel, patterns))
      .slice(0, limit)
      .map(toEvent);
    return { events, gap, latest };
  }

  private append(channel: string, type: string, dataJson: string): TenantEvent {
    const now = this.host.now();
    const seq = this.host.sql
      .exec<{ seq: number }>(
        "INSERT INTO events (channel, type, data, at) VALUES (?, ?, ?, ?) RETURNING seq",
        channel,
        type,
        dataJson,
        now,
      )
      .one().seq;
    if (seq % EVENT_LOG_TRIM_EVERY === 0)
      this.host.sql.exec("DELETE FROM events WHERE seq <= ?", seq - EVENT_LOG_LIMIT);
    return { seq, channel, type, dataJson, at: new Date(now).toISOString() };
  }
}
