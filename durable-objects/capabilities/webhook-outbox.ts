import type { SqliteMigration } from "../sqlite-migrations";

/**
 * Which logged events leave Apex as outbound webhooks, and the outbox that
 * makes sure each one is handed to the queue. The tenant's event log is the
 * single source: an event that is logged and matches an endpoint's
 * subscription gets an outbox row in the same synchronous step, so a crash
 * before the queue send is repaired by the alarm, never lost.
 */
export const webhookOutboxMigrations: readonly SqliteMigration[] = [
  {
    id: "webhook-outbox/1",
    sql: `CREATE TABLE webhook_outbox (
            seq INTEGER NOT NULL,
            event_type TEXT NOT NULL,
            queued_at INTEGER NOT NULL,
            PRIMARY KEY (seq, event_type)
          )`,
  },
];

/** The event types an endpoint may subscribe to; `*` is all of them. */
export const WEBHOOK_EVENT_TYPES = [
  "entity.created",
  "entity.updated",
  "entity.deleted",
  "entity.restored",
  "lead.created",
  "lead.updated",
  "call.created",
  "call.updated",
  "ticket.completed",
  "ticket.failed",
  "project.paused",
  "project.resumed",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Entity types whose changes also go out under their own name (`lead.created`). */
const NAMED_ENTITY_TYPES = new Set(["lead", "call"]);

/**
 * The webhook event types one logged event stands for. Entity changes are
 * logged twice (`entity:{type}` and `entity:{id}`); only the by-type copy
 * counts, so a change is delivered once.
 */
export function webhookEventTypes(channel: string, type: string): WebhookEventType[] {
  const [kind, key = ""] = channel.split(":");
  const known = (t: string): t is WebhookEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(t);
  if (kind === "entity" && key !== "*" && !UUID.test(key)) {
    const verb = type.split(".")[1];
    const named = NAMED_ENTITY_TYPES.has(key) ? `${key}.${verb}` : "";
    return [type, named].filter(known);
  }
  if ((kind === "ticket" || kind === "project") && known(type)) return [type];
  return [];
}

export function subscribedTypes(sql: SqlStorage): Set<string> {
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'webhook_events'").toArray()[0];
  return new Set(row ? (JSON.parse(row.value) as string[]) : []);
}

export function setSubscribedTypes(sql: SqlStorage, types: string[]): void {
  sql.exec(
    `INSERT INTO meta (key, value) VALUES ('webhook_events', ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    JSON.stringify([...new Set(types)].sort()),
  );
}

/** Adds outbox rows for the subscribed types `seq` stands for; returns how many. */
export function enqueueWebhookEvents(
  sql: SqlStorage,
  seq: number,
  channel: string,
  type: string,
  subscribed: Set<string>,
  now: number,
): number {
  if (subscribed.size === 0) return 0;
  let added = 0;
  for (const eventType of webhookEventTypes(channel, type)) {
    if (!subscribed.has("*") && !subscribed.has(eventType)) continue;
    sql.exec(
      "INSERT INTO webhook_outbox (seq, event_type, queued_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      seq,
      eventType,
      now,
    );
    added += 1;
  }
  return added;
}

export interface OutboxItem {
  seq: number;
  eventType: string;
  dataJson: string;
  at: number;
}

/** Unsent outbox rows with their event's data; an event pruned from the log meanwhile is dropped. */
export function pendingWebhookEvents(sql: SqlStorage, limit = 100): OutboxItem[] {
  sql.exec("DELETE FROM webhook_outbox WHERE seq NOT IN (SELECT seq FROM events)");
  return sql
    .exec<{ seq: number; event_type: string; data: string; at: number }>(
      `SELECT o.seq, o.event_type, e.data, e.at FROM webhook_outbox o JOIN events e ON e.seq = o.seq
       ORDER BY o.seq LIMIT ?`,
      limit,
    )
    .toArray()
    .map((r) => ({ seq: r.seq, eventType: r.event_type, dataJson: r.data, at: r.at }));
}

export function markWebhookEventSent(sql: SqlStorage, seq: number, eventType: string): void {
  sql.exec("DELETE FROM webhook_outbox WHERE seq = ? AND event_type = ?", seq, eventType);
}
