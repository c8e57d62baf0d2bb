/**
 * One Durable Object per tenant, reached with `env.TENANT.getByName(tenantId)`
 * where the id comes from the verified identity, never from the request.
 *
 * Why an object per tenant: a Durable Object runs single-threaded, so it is the
 * one place where two concurrent requests of a tenant are put in order — the
 * idempotency ledger, ticket state, rate-limit buckets and spend checks all
 * need exactly that. One global object would serialize every tenant behind
 * each other; one per tenant scales with tenants.
 *
 * The object is composed of capabilities (ledger, tickets, channels, limits,
 * spend) that arrive with their issues; each owns its tables via migrations.
 */

import { DurableObject } from "cloudflare:workers";
import { enqueue, sendAgentMessages } from "../workers/queue/enqueue";
import { forbiddenChannels } from "./capabilities/channel-access";
import { appendEvent, eventMigrations, eventsAfter, type TenantEvent } from "./capabilities/events";
import {
  beginAction,
  completeAction,
  DEFAULT_RETENTION_MS,
  type LedgerBegin,
  ledgerMigrations,
  peekAction,
  pruneActions,
  releaseAction,
  type StoredResponse,
} from "./capabilities/idempotency-ledger";
import {
  type BucketPolicy,
  peekToken,
  type RateDecision,
  rateLimitMigrations,
  takeToken,
} from "./capabilities/rate-limits";
import {
  bumpMembershipVersion,
  membershipVersion,
  revokeSession,
  type SessionVerdict,
  sessionMigrations,
  sessionVerdict,
} from "./capabilities/sessions";
import {
  acknowledge,
  attachmentOf,
  channelsOf,
  clientFrame,
  eventFrame,
  SESSION_ENDED_CLOSE,
  SOCKET_OWNER_HEADER,
  SOCKET_WINDOW_BYTES,
  type SocketOwner,
  sendWithinWindow,
  socketOwner,
  wants,
} from "./capabilities/sockets";
import {
  releaseSpend,
  reserveSpend,
  type SpendReservation,
  type SpendState,
  seedSpend,
  setSpendCap,
  spendMigrations,
  spendState,
} from "./capabilities/spend";
import {
  cancelTicket,
  DEFAULT_TICKET_TTL_MS,
  finishTicket,
  insertTicket,
  listTickets,
  markSent,
  OUTBOX_GRACE_MS,
  pruneTickets,
  readTicket,
  requeueTicket,
  setProgress,
  startTicket,
  type Ticket,
  type TicketStatus,
  ticketMigrations,
  ticketParams,
  unsentTickets,
} from "./capabilities/tickets";
import {
  enqueueWebhookEvents,
  markWebhookEventSent,
  pendingWebhookEvents,
  setSubscribedTypes,
  subscribedTypes,
  webhookOutboxMigrations,
} from "./capabilities/webhook-outbox";
import { applySqliteMigrations, type SqliteMigration } from "./sqlite-migrations";

const CORE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    id: "core/1",
    sql: `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
          CREATE TABLE agent_runs (message_id TEXT PRIMARY KEY, task TEXT NOT NULL, ran_at INTEGER NOT NULL);`,
  },
];

/** Every capability's storage migrations, in the order they apply. */
export const TENANT_MIGRATIONS: readonly SqliteMigration[] = [
  ...CORE_MIGRATIONS,
  ...ledgerMigrations,
  ...rateLimitMigrations,
  ...ticketMigrations,
  ...eventMigrations,
  ...spendMigrations,
  ...webhookOutboxMigrations,
  ...sessionMigrations,
];

const FORBIDDEN_DETAIL = "your role may not subscribe to these channels; nothing was subscribed";

function socketOwnerOf(request: Request): SocketOwner | undefined {
  try {
    const parsed = socketOwner.safeParse(JSON.parse(request.headers.get(SOCKET_OWNER_HEADER) ?? ""));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface PingResult {
  ok: true;
  /** How many pings this object has stored: proof that a write reached durable storage. */
  pings: number;
  databaseSize: number;
}

export interface AgentRun {
  messageId: string;
  task: string;
  ranAt: number;
}

export class TenantDurableObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => applySqliteMigrations(this.sql, TENANT_MIGRATIONS));
  }

  // ── rate limits ────────────────────────────────────────────────────────────
  async takeRateToken(key: string, policy: BucketPolicy): Promise<RateDecision> {
    return takeToken(this.sql, key, policy, Date.now());
  }

  /** The decision takeRateToken would make, spending nothing. */
  async peekRateToken(key: string, policy: BucketPolicy): Promise<RateDecision> {
    return peekToken(this.sql, key, policy, Date.now());
  }

  // ── sessions and membership versions ─────────────────────────────────────
  async membershipVersion(userId: string): Promise<number> {
    return membershipVersion(this.sql, userId);
  }

  /** The user's membership changed: tokens minted before now are stale, and their open sockets close. */
  async bumpMembershipVersion(userId: string): Promise<number> {
    const version = bumpMembershipVersion(this.sql, userId);
    this.closeSockets((owner) => owner.userId === userId, "membership changed: reconnect with a fresh token");
    return version;
  }

  /** Logout (or a leaked refresh family): the session's access tokens and sockets end now. */
  async revokeSession(sid: string, until: number): Promise<void> {
    revokeSession(this.sql, sid, until, Date.now());
    this.closeSockets((owner) => owner.sid === sid, "session ended");
  }

  async sessionVerdict(token: { userId: string; sid: string; membershipVersion: number }): Promise<SessionVerdict> {
    return sessionVerdict(this.sql, token);
  }

  private closeSockets(whose: (owner: SocketOwner) => boolean, reason: string): void {
    for (const socket of this.ctx.getWebSockets()) {
      if (whose(attachmentOf(socket))) socket.close(SESSION_ENDED_CLOSE, reason);
    }
  }

  // ── idempotent action ledger ───────────────────────────────────────────────
  /** Callers waiting for a pending key to settle. In memory: after an eviction they time out into 409. */
  private readonly ledgerWaiters = new Map<string, Set<() => void>>();

  /**
   * Starts an action under `key`. While another holder has the key pending,
   * waits up to `waitMs` for it to settle, so a burst of identical retries
   * gets the first one's stored response rather than a 409 each.
   */
  async beginAction(
    key: string,
    fingerprint: string,
    retentionMs = DEFAULT_RETENTION_MS,
    waitMs = 0,
  ): Promise<LedgerBegin> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const result = beginAction(this.sql, key, fingerprint, Date.now(), retentionMs);
      const remaining = deadline - Date.now();
      if (result.outcome !== "in-flight" || remaining <= 0) return result;
      await new Promise<void>((resolve) => {
        const waiters = this.ledgerWaiters.get(key) ?? new Set();
        this.ledgerWaiters.set(key, waiters);
        waiters.add(resolve);
        setTimeout(resolve, remaining);
      });
    }
  }

  /**
   * Claims several keys at once, atomically: `proceed` when none is taken
   * (all become pending), the stored response of the first key already done,
   * or `in-flight` when one stays pending past `waitMs`. Intake uses it to
   * deduplicate a lead by phone, email and the source's own id together.
   */
  async beginMany(keys: string[], fingerprint: string, retentionMs: number, waitMs: number): Promise<LedgerBegin> {
    const deadline = Date.now() + waitMs;
    const sorted = [...new Set(keys)].sort();
    for (;;) {
      const now = Date.now();
      let blocking: string | undefined;
      for (const key of sorted) {
        const peek = peekAction(this.sql, key, now);
        if (peek.outcome === "replay") return peek;
        if (peek.outcome === "in-flight") blocking = key;
      }
      if (!blocking) {
        for (const key of sorted) beginAction(this.sql, key, fingerprint, now, retentionMs);
        return { outcome: "proceed" };
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { outcome: "in-flight" };
      await new Promise<void>((resolve) => {
        const waiters = this.ledgerWaiters.get(blocking) ?? new Set();
        this.ledgerWaiters.set(blocking, waiters);
        waiters.add(resolve);
        setTimeout(resolve, remaining);
      });
    }
  }

  async completeMany(keys: string[], fingerprint: string, response: StoredResponse): Promise<void> {
    for (const key of new Set(keys)) {
      completeAction(this.sql, key, fingerprint, response);
      this.wakeLedgerWaiters(key);
    }
    await this.scheduleLedgerPrune();
  }

  async releaseMany(keys: string[], fingerprint: string): Promise<void> {
    for (const key of new Set(keys)) {
      releaseAction(this.sql, key, fingerprint);
      this.wakeLedgerWaiters(key);
    }
  }

  async completeAction(key: string, fingerprint: string, response: StoredResponse): Promise<void> {
    completeAction(this.sql, key, fingerprint, response);
    this.wakeLedgerWaiters(key);
    await this.scheduleLedgerPrune();
  }

  async releaseAction(key: string, fingerprint: string): Promise<void> {
    releaseAction(this.sql, key, fingerprint);
    this.wakeLedgerWaiters(key);
  }

  private wakeLedgerWaiters(key: string): void {
    const waiters = this.ledgerWaiters.get(key);
    this.ledgerWaiters.delete(key);
    for (const wake of waiters ?? []) wake();
  }

  // ── spend caps ─────────────────────────────────────────────────────────────
  async spendState(projectId: string, month: string): Promise<SpendState | undefined> {
    return spendState(this.sql, projectId, month);
  }

  async seedSpend(
    projectId: string,
    month: string,
    totalMicros: number,
    capMicros: number | null,
  ): Promise<SpendState> {
    return seedSpend(this.sql, projectId, month, totalMicros, capMicros);
  }

  async reserveSpend(projectId: string, month: string, costMicros: number): Promise<SpendReservation> {
    return reserveSpend(this.sql, projectId, month, costMicros);
  }

  async releaseSpend(projectId: string, month: string, costMicros: number): Promise<void> {
    releaseSpend(this.sql, projectId, month, costMicros);
  }

  async setSpendCap(
    projectId: string,
    month: string,
    capMicros: number | null,
    totalIfUnseeded: number,
  ): Promise<SpendState> {
    return setSpendCap(this.sql, projectId, month, capMicros, totalIfUnseeded);
  }

  // ── tickets ────────────────────────────────────────────────────────────────
  /**
   * Records the ticket and its outbox mark, then sends the queue message. A
   * crash between the two is repaired by the alarm, which re-sends unsent
   * tickets after OUTBOX_GRACE_MS.
   */
  async createTicket(tenantId: string, task: string, params: unknown, ttlMs = DEFAULT_TICKET_TTL_MS): Promise<Ticket> {
    this.rememberTenant(tenantId);
    const created = insertTicket(this.sql, crypto.randomUUID(), task, params, Date.now(), ttlMs);
    await this.publishTicket(created);
    await this.ensureAlarmBy(Date.now() + OUTBOX_GRACE_MS);
    await this.sendTicket(tenantId, created.id, task, params);
    return readTicket(this.sql, created.id) ?? created;
  }

  async getTicket(id: string): Promise<Ticket | undefined> {
    return readTicket(this.sql, id);
  }

  async listTickets(status?: TicketStatus, limit = 50): Promise<Ticket[]> {
    return listTickets(this.sql, status, limit);
  }

  /** For the queue consumer: the ticket and its params if it may run now, else undefined. */
  async startTicket(id: string): Promise<{ ticket: Ticket; paramsJson: string } | undefined> {
    const started = startTicket(this.sql, id, Date.now());
    await this.publishTicket(started);
    return started ? { ticket: started, paramsJson: ticketParams(this.sql, id) ?? "{}" } : undefined;
  }

  async reportProgress(id: string, progress: number, message: string): Promise<Ticket | undefined> {
    const ticket = setProgress(this.sql, id, progress, message, Date.now());
    await this.publishTicket(ticket);
    return ticket;
  }

  async completeTicket(id: string, resultJson: string): Promise<Ticket | undefined> {
    const ticket = finishTicket(this.sql, id, { status: "completed", resultJson }, Date.now());
    await this.publishTicket(ticket);
    return ticket;
  }

  async failTicket(id: string, error: string): Promise<Ticket | undefined> {
    const ticket = finishTicket(this.sql, id, { status: "failed", error }, Date.now());
    await this.publishTicket(ticket);
    return ticket;
  }

  async cancelTicket(id: string): Promise<Ticket | undefined> {
    const ticket = cancelTicket(this.sql, id, Date.now());
    await this.publishTicket(ticket);
    return ticket;
  }

  /** Runs a failed ticket again; `undefined` when it is not failed. */
  async retryTicket(tenantId: string, id: string): Promise<Ticket | undefined> {
    const requeued = requeueTicket(this.sql, id, Date.now());
    if (!requeued) return undefined;
    await this.publishTicket(requeued);
    await this.ensureAlarmBy(Date.now() + OUTBOX_GRACE_MS);
    await this.sendTicket(tenantId, id, requeued.task, JSON.parse(ticketParams(this.sql, id) ?? "{}"));
    return readTicket(this.sql, id);
  }

  private async sendTicket(tenantId: string, ticketId: string, task: string, params: unknown): Promise<void> {
    await sendAgentMessages(this.env.AGENTS, [{ task, tenantId, ticketId, params }]);
    markSent(this.sql, ticketId, Date.now());
  }

  // ── events (real-time) ─────────────────────────────────────────────────────
  /** Long-poll callers parked until the next event. In memory: after an eviction they simply time out. */
  private readonly eventWaiters = new Set<() => void>();

  async publish(channel: string, type: string, dataJson: string): Promise<TenantEvent> {
    return this.record(channel, type, dataJson);
  }

  /**
   * Logs the event, wakes pollers, pushes it to subscribed sockets and, when
   * an endpoint wants it, hands it to the webhook outbox.
   */
  private async record(channel: string, type: string, dataJson: string): Promise<TenantEvent> {
    const now = Date.now();
    const event = appendEvent(this.sql, channel, type, dataJson, now);
    const outgoing = enqueueWebhookEvents(this.sql, event.seq, channel, type, subscribedTypes(this.sql), now);
    const waiters = [...this.eventWaiters];
    this.eventWaiters.clear();
    for (const wake of waiters) wake();
    const frame = eventFrame(event);
    for (const socket of this.ctx.getWebSockets()) {
      if (!wants(socket, channel)) continue;
      // Backpressure: a client that cannot keep up is cut off, never buffered without limit.
      // It reconnects and resumes from its last sequence (or falls back to long-poll).
      try {
        sendWithinWindow(socket, event.seq, frame);
      } catch {
        socket.close(1011, "send failed");
      }
    }
    if (outgoing > 0) await this.flushWebhookOutbox();
    return event;
  }

  // ── outbound webhooks ──────────────────────────────────────────────────────
  /** The union of the enabled endpoints' event types; the webhook service keeps it current. */
  async setWebhookSubscriptions(tenantId: string, types: string[]): Promise<void> {
    this.rememberTenant(tenantId);
    setSubscribedTypes(this.sql, types);
  }

  /** Sends outbox rows to the queue as `webhook_dispatch` messages; what fails to send waits for the alarm. */
  private async flushWebhookOutbox(): Promise<void> {
    const tenantId = this.tenantId();
    const pending = pendingWebhookEvents(this.sql);
    if (!tenantId || pending.length === 0) return;
    try {
      for (const item of pending) {
        await enqueue(this.env, tenantId, "webhook_dispatch", {
          eventId: `evt_${item.seq}_${item.eventType.replace(".", "_")}`,
          type: item.eventType,
          occurredAt: new Date(item.at).toISOString(),
          dataJson: item.dataJson,
        });
        markWebhookEventSent(this.sql, item.seq, item.eventType);
      }
    } catch (error) {
      console.error(JSON.stringify({ level: "error", msg: "webhook outbox send failed", error: String(error) }));
      await this.ensureAlarmBy(Date.now() + OUTBOX_GRACE_MS);
    }
  }

  /** The object knows its tenant only when told; the alarm needs it to address queue messages. */
  private rememberTenant(tenantId: string): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('tenant_id', ?) ON CONFLICT (key) DO NOTHING", tenantId);
  }

  private tenantId(): string | undefined {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'tenant_id'").toArray()[0]?.value;
  }

  // ── WebSockets (hibernation API) ───────────────────────────────────────────
  /**
   * Only the upgrade arrives by fetch; the Worker has authenticated it and
   * states who opened it in SOCKET_OWNER_HEADER (set by the Worker, never
   * passed through from the client).
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const owner = socketOwnerOf(request);
    if (!owner) return new Response(`${SOCKET_OWNER_HEADER} is missing or malformed`, { status: 400 });
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ ...owner, channels: [], lastSentSeq: 0, unackedBytes: 0 });
    return new Response(null, { status: 101, webSocket: client, headers: { "Sec-WebSocket-Protocol": "apex.v1" } });
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    let frame: ReturnType<typeof clientFrame.parse>;
    try {
      frame = clientFrame.parse(JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message)));
    } catch {
      socket.send(JSON.stringify({ type: "error", detail: "frames are JSON: subscribe, unsubscribe, ack or ping" }));
      return;
    }
    if (frame.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (frame.type === "ack") {
      acknowledge(socket, frame.seq);
    } else if (frame.type === "subscribe") {
      const refused = forbiddenChannels(attachmentOf(socket).role, frame.channels);
      if (refused.length > 0) {
        socket.send(JSON.stringify({ type: "error", code: "forbidden", channels: refused, detail: FORBIDDEN_DETAIL }));
        return;
      }
      const channels = [...new Set([...channelsOf(socket), ...frame.channels])].slice(0, 50);
      socket.serializeAttachment({ ...attachmentOf(socket), channels });
      if (frame.cursor !== undefined) {
        const backlog = eventsAfter(this.sql, frame.cursor, frame.channels, 500);
        if (backlog.gap) socket.send(JSON.stringify({ type: "gap", latest: backlog.latest }));
        for (const event of backlog.events) if (!sendWithinWindow(socket, event.seq, eventFrame(event))) return;
      }
      socket.send(JSON.stringify({ type: "subscribed", channels, windowBytes: SOCKET_WINDOW_BYTES }));
    } else {
      const channels = channelsOf(socket).filter((c) => !frame.channels.includes(c));
      socket.serializeAttachment({ ...attachmentOf(socket), channels });
      socket.send(JSON.stringify({ type: "unsubscribed", channels }));
    }
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    // 1005 means "no code given"; echoing it back throws.
    socket.close(code === 1005 ? 1000 : code, reason);
  }

  /**
   * Events after `cursor` on the given channels. With `waitMs`, parks until
   * one arrives or the time is up (the long-poll fallback for networks that
   * block WebSockets).
   */
  async poll(cursor: number, channels: string[], waitMs = 0, limit = 100) {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const page = eventsAfter(this.sql, cursor, channels, limit);
      const remaining = deadline - Date.now();
      if (page.events.length > 0 || page.gap || remaining <= 0) {
        const last = page.events[page.events.length - 1];
        return { ...page, cursor: last ? last.seq : Math.max(cursor, page.gap ? page.latest : cursor) };
      }
      await new Promise<void>((resolve) => {
        this.eventWaiters.add(resolve);
        setTimeout(() => {
          this.eventWaiters.delete(resolve);
          resolve();
        }, remaining);
      });
    }
  }

  private async publishTicket(ticket: Ticket | undefined): Promise<void> {
    if (!ticket) return;
    const { resultJson: _omitted, ...summary } = ticket;
    await this.record(`ticket:${ticket.id}`, `ticket.${ticket.status}`, JSON.stringify(summary));
  }

  // ── the one alarm ──────────────────────────────────────────────────────────
  /**
   * Timers are rows (ledger expiry, unsent tickets, ticket TTL) multiplexed
   * onto the object's single alarm. A throw here makes the runtime retry it.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    pruneTickets(this.sql, now);
    const tenantId = this.tenantId();
    const unsent = unsentTickets(this.sql, now - OUTBOX_GRACE_MS);
    if (tenantId) for (const t of unsent) await this.sendTicket(tenantId, t.id, t.task, t.params);
    await this.flushWebhookOutbox();
    const nextLedger = pruneActions(this.sql, now);
    const stillUnsent =
      unsentTickets(this.sql, Number.MAX_SAFE_INTEGER).length > 0 || pendingWebhookEvents(this.sql, 1).length > 0;
    const nextTicketExpiry = this.sql
      .exec<{ next: number | null }>(
        "SELECT MIN(expires_at) AS next FROM tickets WHERE status IN ('completed', 'failed', 'cancelled')",
      )
      .one().next;
    const candidates = [nextLedger, nextTicketExpiry ?? undefined, stillUnsent ? now + OUTBOX_GRACE_MS : undefined];
    const next = Math.min(...candidates.filter((t): t is number => t !== undefined));
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(Math.max(next, now + 1));
  }

  /** Makes sure the alarm fires no later than `at`. */
  private async ensureAlarmBy(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  private async scheduleLedgerPrune(): Promise<void> {
    const next = pruneActions(this.sql, Date.now());
    if (next !== undefined) await this.ensureAlarmBy(next);
  }

  /** Writes and reads storage, so a healthy answer means the object's SQLite works. */
  async ping(): Promise<PingResult> {
    this.sql.exec(
      `INSERT INTO meta (key, value) VALUES ('pings', '1')
       ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
    );
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'pings'").one();
    return { ok: true, pings: Number(row.value), databaseSize: this.sql.databaseSize };
  }

  /**
   * Records that a queue message ran for this tenant. Keyed by message id, so
   * a redelivered message is recorded once (queues deliver at least once).
   */
  async recordAgentRun(run: AgentRun): Promise<{ firstTime: boolean }> {
    const cursor = this.sql.exec(
      "INSERT INTO agent_runs (message_id, task, ran_at) VALUES (?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
      run.messageId,
      run.task,
      run.ranAt,
    );
    return { firstTime: cursor.rowsWritten > 0 };
  }

  async agentRuns(): Promise<AgentRun[]> {
    return this.sql
      .exec<{ message_id: string; task: string; ran_at: number }>(
        "SELECT message_id, task, ran_at FROM agent_runs ORDER BY ran_at, message_id",
      )
      .toArray()
      .map((row) => ({ messageId: row.message_id, task: row.task, ranAt: row.ran_at }));
  }
}
