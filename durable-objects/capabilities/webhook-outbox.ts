import type { Logger } from "../../workers/logger";
import type { Timer } from "../alarm-scheduler";
import type { SqliteMigration } from "../sqlite-migrations";
import { EVENT_LOG_LIMIT, type TenantEvent } from "./events";

/**
 * Which logged events leave Apex as outbound webhooks, and the outbox that
 * makes sure each one is handed to the queue. Every event passes through the
 * tenant's event log: one that matches an endpoint's subscription gets an
 * outbox row in the same synchronous step that numbers it, so a crash before
 * the queue send is repaired by the alarm, never lost — even when the event
 * was logged to be written behind and the log itself lost it (decision 033).
 *
 * The outbox keeps its own copy of each event's data and its own list of
 * subscribed types, so it reads no other capability's tables.
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
  {
    // One-time move: the event's data into the outbox row (it used to join the event log),
    // and the subscribed types out of the object's `meta` table into a table of their own.
    id: "webhook-outbox/2",
    sql: `ALTER TABLE webhook_outbox ADD COLUMN data TEXT;
          ALTER TABLE webhook_outbox ADD COLUMN at INTEGER;
          UPDATE webhook_outbox SET
            data = (SELECT e.data FROM events e WHERE e.seq = webhook_outbox.seq),
            at = (SELECT e.at FROM events e WHERE e.seq = webhook_outbox.seq);
          DELETE FROM webhook_outbox WHERE data IS NULL;
          CREATE TABLE webhook_subscriptions (event_type TEXT PRIMARY KEY);
          INSERT INTO webhook_subscriptions (event_type)
            SELECT DISTINCT j.value FROM meta, json_each(meta.value) AS j WHERE meta.key = 'webhook_events';
          DELETE FROM meta WHERE key = 'webhook_events';`,
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
type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Entity types whose changes also go out under their own name (`lead.created`). */
const NAMED_ENTITY_TYPES = new Set(["lead", "call"]);

/**
 * The webhook event types one logged event stands for. Entity changes are
 * logged twice (`entity:{type}` and `entity:{id}`); only the by-type copy
 * counts, so a change is delivered once.
 */
function webhookEventTypes(channel: string, type: string): WebhookEventType[] {
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

interface OutboxItem {
  seq: number;
  eventType: string;
  dataJson: string;
  at: number;
}

/** The `webhook_dispatch` task's params: one event for the tenant's endpoints. */
interface WebhookDispatch {
  /** Stable across re-sends, so a receiver can deduplicate. */
  eventId: string;
  type: string;
  occurredAt: string;
  dataJson: string;
}

/** A failed send is tried again by the alarm after this. */
const WEBHOOK_OUTBOX_GRACE_MS = 2_000;

interface WebhookOutboxHost {
  sql: SqlStorage;
  now(): number;
  scheduleBy(at: number): Promise<void>;
  /** Undefined until the object is told; nothing can be addressed before that. */
  tenantId(): string | undefined;
  /** Sends one `webhook_dispatch` queue message. */
  dispatch(tenantId: string, event: WebhookDispatch): Promise<unknown>;
  log: Logger;
}

export class WebhookOutbox {
  /** Re-sends what a failed or interrupted flush left behind. */
  readonly timers: readonly Timer[] = [
    {
      name: "webhook-outbox",
      nextDue: () => {
        const oldest = this.host.sql
          .exec<{ queued: number | null }>("SELECT MIN(queued_at) AS queued FROM webhook_outbox")
          .one().queued;
        return oldest === null ? undefined : oldest + WEBHOOK_OUTBOX_GRACE_MS;
      },
      run: () => this.flush(),
    },
  ];

  private subscriptions: Set<string> | undefined;

  constructor(private readonly host: WebhookOutboxHost) {}

  /** The union of the enabled endpoints' event types; the webhook service keeps it current. */
  setSubscriptions(types: string[]): void {
    this.host.sql.exec("DELETE FROM webhook_subscriptions");
    this.subscriptions = new Set();
    this.addSubscriptions(types);
  }

  /**
   * Adds types and removes none: told before an endpoint change commits, so
   * the list is never narrower than Postgres, whatever dies afterwards. A
   * type nobody wants any more costs one dispatch, which resyncs the list.
   */
  addSubscriptions(types: string[]): void {
    for (const type of new Set(types)) {
      this.host.sql.exec("INSERT INTO webhook_subscriptions (event_type) VALUES (?) ON CONFLICT DO NOTHING", type);
      this.subscriptions?.add(type);
    }
  }

  /**
   * Queues outbox rows for the subscribed types a just-logged event stands
   * for (synchronously, in the same step that logged it), then tries to send
   * them. A failed send is logged and left to the alarm, never thrown at the
   * caller that published the event.
   */
  async offer(event: TenantEvent): Promise<void> {
    if (this.enqueue(event) === 0) return;
    try {
      await this.flush();
    } catch (error) {
      this.host.log.error("webhook outbox send failed", { error: String(error) });
      await this.host.scheduleBy(this.host.now() + WEBHOOK_OUTBOX_GRACE_MS);
    }
  }

  /** Sends outbox rows to the queue as `webhook_dispatch` messages, oldest first. */
  private async flush(): Promise<void> {
    const tenantId = this.host.tenantId();
    if (!tenantId) return;
    for (const item of this.pending()) {
      await this.host.dispatch(tenantId, {
        eventId: `evt_${item.seq}_${item.eventType.replace(".", "_")}`,
        type: item.eventType,
        occurredAt: new Date(item.at).toISOString(),
        dataJson: item.dataJson,
      });
      this.host.sql.exec("DELETE FROM webhook_outbox WHERE seq = ? AND event_type = ?", item.seq, item.eventType);
    }
  }

  private enqueue(event: TenantEvent): number {
    const subscribed = this.subscribed();
    if (subscribed.size === 0) return 0;
    let added = 0;
    for (const eventType of webhookEventTypes(event.channel, event.type)) {
      if (!subscribed.has("*") && !subscribed.has(eventType)) continue;
      this.host.sql.exec(
        `INSERT INTO webhook_outbox (seq, event_type, queued_at, data, at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        event.seq,
        eventType,
        this.host.now(),
        event.dataJson,
        Date.parse(event.at),
      );
      added += 1;
    }
    return added;
  }

  /** Read once, then kept with the table it mirrors (only this capability writes it): every event asks. */
  private subscribed(): Set<string> {
    this.subscriptions ??= new Set(
      this.host.sql
        .exec<{ event_type: string }>("SELECT event_type FROM webhook_subscriptions")
        .toArray()
        .map((row) => row.event_type),
    );
    return this.subscriptions;
  }

  /**
   * Unsent rows, oldest first. Like the event log, the outbox holds at most
   * the newest EVENT_LOG_LIMIT events: an older row is dropped, not sent late.
   */
  private pending(limit = 100): OutboxItem[] {
    const { sql } = this.host;
    sql.exec("DELETE FROM webhook_outbox WHERE seq <= (SELECT MAX(seq) FROM webhook_outbox) - ?", EVENT_LOG_LIMIT);
    return sql
      .exec<{ seq: number; event_type: string; data: string; at: number }>(
        "SELECT seq, event_type, data, at FROM webhook_outbox ORDER BY seq LIMIT ?",
        limit,
      )
      .toArray()
      .map((r) => ({ seq: r.seq, eventType: r.event_type, dataJson: r.data, at: r.at }));
  }
}
