/**
 * One Durable Object per tenant, reached with `env.TENANT.getByName(tenantId)`
 * where the id comes from the verified identity, never from the request.
 *
 * Why an object per tenant: a Durable Object runs single-threaded, so it is the
 * one place where two concurrent requests of a tenant are put in order (the
 * ledger, tickets, rate buckets, spend checks). One global object would
 * serialize every tenant behind each other; one per tenant scales with tenants.
 *
 * The object is a composition: each capability in `capabilities/` owns its
 * tables, in-memory waiters and timers, and reaches the rest of the object
 * only through the host interface it declares. This class wires them and
 * forwards RPC calls. A new capability: its file, its migrations appended in
 * `tenant-migrations.ts`, a field wired here, and its RPC methods below.
 */

import { DurableObject } from "cloudflare:workers";
import { createLogger } from "../workers/logger";
import { enqueue, sendAgentMessages } from "../workers/queue/enqueue";
import { AlarmScheduler } from "./alarm-scheduler";
import { type PingResult, TenantCore } from "./capabilities/core";
import { EventLog, type TenantEvent } from "./capabilities/events";
import {
  DEFAULT_RETENTION_MS,
  IdempotencyLedger,
  type LedgerBegin,
  type StoredResponse,
} from "./capabilities/idempotency-ledger";
import { type BucketPolicy, type RateDecision, RateLimits } from "./capabilities/rate-limits";
import { Sessions, type SessionVerdict } from "./capabilities/sessions";
import { type FanOutTiming, SocketHub } from "./capabilities/sockets";
import { Spend, type SpendReservation, type SpendState } from "./capabilities/spend";
import {
  DEFAULT_TICKET_TTL_MS,
  type Ticket,
  type TicketStart,
  type TicketStatus,
  Tickets,
} from "./capabilities/tickets";
import { WakeUps } from "./capabilities/wake-ups";
import { WebhookOutbox } from "./capabilities/webhook-outbox";
import { applySqliteMigrations } from "./sqlite-migrations";
import { TENANT_MIGRATIONS } from "./tenant-migrations";

/** An event not yet on the log: its channel, type and data as JSON text. */
export interface PendingEvent {
  channel: string;
  type: string;
  dataJson: string;
}

export interface AdmitRequest {
  session?: { userId: string; sid: string; membershipVersion: number };
  rate?: { key: string; policy: BucketPolicy };
  claim?: { keys: string[]; fingerprint: string; retentionMs: number; waitMs: number };
}

export interface Admission {
  session?: SessionVerdict;
  rate?: RateDecision;
  claim?: LedgerBegin;
}

export interface TicketRequest {
  task: string;
  params: unknown;
  ttlMs?: number;
  onceKey?: string;
  startHere?: boolean;
}

export interface SettleRequest {
  complete?: { keys: string[]; fingerprint: string; response: StoredResponse };
  events?: PendingEvent[];
  tickets?: TicketRequest[];
}

export interface Settled {
  /** In request order; `paramsJson` only on a ticket started here for the caller to run. */
  tickets: { ticket: Ticket; paramsJson?: string }[];
}

export class TenantDurableObject extends DurableObject<Env> {
  private readonly core: TenantCore;
  private readonly rateLimits: RateLimits;
  private readonly sessions: Sessions;
  private readonly ledger: IdempotencyLedger;
  private readonly spend: Spend;
  private readonly tickets: Tickets;
  private readonly events: EventLog;
  private readonly webhooks: WebhookOutbox;
  private readonly sockets: SocketHub;
  private readonly wakeUps: WakeUps;
  private readonly timers: AlarmScheduler;

  /** The wiring: each capability gets what its host interface asks for, and nothing reads its tables but it. */
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const base = { sql: ctx.storage.sql, now: () => Date.now() };
    const timed = { ...base, scheduleBy: (at: number) => this.timers.scheduleBy(at) };
    const tenantId = () => this.core.tenantId();
    this.core = new TenantCore(base);
    this.rateLimits = new RateLimits(base);
    this.spend = new Spend(base);
    this.ledger = new IdempotencyLedger(timed);
    this.sockets = new SocketHub({
      accept: (socket) => ctx.acceptWebSocket(socket),
      sockets: () => ctx.getWebSockets(),
      backlog: (cursor, channels, limit) => this.events.after(cursor, channels, limit),
    });
    this.sessions = new Sessions({ ...base, closeSockets: (whose, reason) => this.sockets.closeWhere(whose, reason) });
    this.webhooks = new WebhookOutbox({
      ...timed,
      tenantId,
      dispatch: (tenant, event) => enqueue(env, tenant, "webhook_dispatch", event),
      log: createLogger({ component: "tenant-object" }),
    });
    this.events = new EventLog({
      ...base,
      fanOut: (event) => {
        this.sockets.push(event);
        return this.webhooks.offer(event);
      },
    });
    this.tickets = new Tickets({
      ...timed,
      tenantId,
      publish: (channel, type, dataJson) => this.events.record(channel, type, dataJson),
      send: (message) => sendAgentMessages(env, [message]),
    });
    this.wakeUps = new WakeUps({ ...timed, tenantId, send: (message) => sendAgentMessages(env, [message]) });
    const withTimers = [this.ledger, this.tickets, this.webhooks, this.wakeUps];
    this.timers = new AlarmScheduler(
      ctx.storage,
      withTimers.flatMap((c) => c.timers),
    );
    ctx.blockConcurrencyWhile(async () => {
      applySqliteMigrations(base.sql, TENANT_MIGRATIONS);
      await this.timers.rearm();
    });
  }

  // ── a write's two calls: admit before, settle after ───────────────────────
  /**
   * What a request needs from the object before it does its work, in one
   * call, decided in order and stopping at the first refusal: the caller's
   * session is current (401), the rate bucket has a token (429), the ledger
   * keys are claimed (a duplicate or a replay). A refused step spends nothing
   * after it. Each part is optional; what was decided comes back.
   */
  async admit(request: AdmitRequest): Promise<Admission> {
    const admission: Admission = {};
    if (request.session) {
      admission.session = this.sessions.verdict(request.session);
      if (admission.session !== "current") return admission;
    }
    if (request.rate) {
      admission.rate = this.rateLimits.take(request.rate.key, request.rate.policy);
      if (!admission.rate.allowed) return admission;
    }
    if (request.claim) {
      const { keys, fingerprint, retentionMs, waitMs } = request.claim;
      admission.claim = await this.ledger.beginMany(keys, fingerprint, retentionMs, waitMs);
    }
    return admission;
  }

  /**
   * What a write tells the object once its change committed, in one call and
   * in this order: its ledger keys are completed (a retry now replays), its
   * events are published, its follow-up tickets exist (each at most once per
   * `onceKey`; one with `startHere` comes back started, for the caller to run
   * at once — the queue is its retry path).
   */
  async settle(tenantId: string, work: SettleRequest): Promise<Settled> {
    this.core.remember(tenantId);
    if (work.complete)
      await this.ledger.complete(work.complete.keys, work.complete.fingerprint, work.complete.response);
    for (const event of work.events ?? []) await this.events.record(event.channel, event.type, event.dataJson);
    const tickets: Settled["tickets"] = [];
    for (const t of work.tickets ?? []) {
      const ttl = t.ttlMs ?? DEFAULT_TICKET_TTL_MS;
      tickets.push(
        t.startHere
          ? await this.tickets.createStarted(t.task, t.params, ttl, t.onceKey)
          : { ticket: await this.tickets.create(tenantId, t.task, t.params, ttl, t.onceKey) },
      );
    }
    return { tickets };
  }

  // ── rate limits ────────────────────────────────────────────────────────────
  async takeRateToken(key: string, policy: BucketPolicy): Promise<RateDecision> {
    return this.rateLimits.take(key, policy);
  }

  /** The decision takeRateToken would make, spending nothing. */
  async peekRateToken(key: string, policy: BucketPolicy): Promise<RateDecision> {
    return this.rateLimits.peek(key, policy);
  }

  // ── sessions and membership versions ─────────────────────────────────────
  async membershipVersion(userId: string): Promise<number> {
    return this.sessions.membershipVersion(userId);
  }

  /** The user's membership changed: tokens minted before now are stale, and their open sockets close. */
  async bumpMembershipVersion(userId: string): Promise<number> {
    return this.sessions.bumpMembershipVersion(userId);
  }

  /** Logout (or a leaked refresh family): the session's access tokens and sockets end now. */
  async revokeSession(sid: string, until: number): Promise<void> {
    this.sessions.revokeSession(sid, until);
  }

  async sessionVerdict(token: { userId: string; sid: string; membershipVersion: number }): Promise<SessionVerdict> {
    return this.sessions.verdict(token);
  }

  // ── idempotent action ledger ───────────────────────────────────────────────
  /** Starts an action under `key`, waiting up to `waitMs` while another holder has it pending. */
  async beginAction(key: string, fingerprint: string, retentionMs = DEFAULT_RETENTION_MS, waitMs = 0) {
    return this.ledger.begin(key, fingerprint, retentionMs, waitMs);
  }

  /** Claims several keys at once, atomically (intake deduplicates a lead by phone, email and source id). */
  async beginMany(keys: string[], fingerprint: string, retentionMs: number, waitMs: number): Promise<LedgerBegin> {
    return this.ledger.beginMany(keys, fingerprint, retentionMs, waitMs);
  }

  async completeMany(keys: string[], fingerprint: string, response: StoredResponse): Promise<void> {
    await this.ledger.complete(keys, fingerprint, response);
  }

  async releaseMany(keys: string[], fingerprint: string): Promise<void> {
    this.ledger.release(keys, fingerprint);
  }

  /** An action's stored result, if it was done (a retried sender asks before anything else). */
  async lookupAction(key: string): Promise<LedgerBegin> {
    return this.ledger.lookup(key);
  }

  async completeAction(key: string, fingerprint: string, response: StoredResponse): Promise<void> {
    await this.ledger.complete([key], fingerprint, response);
  }

  async releaseAction(key: string, fingerprint: string): Promise<void> {
    this.ledger.release([key], fingerprint);
  }

  // ── spend caps ─────────────────────────────────────────────────────────────
  async spendState(projectId: string, month: string): Promise<SpendState | undefined> {
    return this.spend.state(projectId, month);
  }

  async seedSpend(projectId: string, month: string, totalMicros: number, capMicros: number | null) {
    return this.spend.seed(projectId, month, totalMicros, capMicros);
  }

  async reserveSpend(projectId: string, month: string, costMicros: number): Promise<SpendReservation> {
    return this.spend.reserve(projectId, month, costMicros);
  }

  async releaseSpend(projectId: string, month: string, costMicros: number): Promise<void> {
    this.spend.release(projectId, month, costMicros);
  }

  async setSpendCap(projectId: string, month: string, capMicros: number | null, totalIfUnseeded: number) {
    return this.spend.setCap(projectId, month, capMicros, totalIfUnseeded);
  }

  // ── wake-ups (long-running work that outlives its runner) ───────────────
  /** Sends `task` with `params` at `dueAt`, and again every watchdog interval until moved or stopped. */
  async setWakeUp(tenantId: string, key: string, task: string, params: unknown, dueAt: number): Promise<void> {
    this.core.remember(tenantId);
    await this.wakeUps.set(key, task, params, dueAt);
  }

  /** A runner's lease on the work (false: another runner holds it, or it was stopped). */
  async holdWakeUp(key: string, runner: string, leaseMs: number): Promise<boolean> {
    return this.wakeUps.hold(key, runner, leaseMs);
  }

  async releaseWakeUp(key: string, runner: string, nextDueAt: number): Promise<void> {
    await this.wakeUps.release(key, runner, nextDueAt);
  }

  async stopWakeUp(key: string): Promise<void> {
    this.wakeUps.stop(key);
  }

  async wakeUpDueAt(key: string): Promise<number | null> {
    return this.wakeUps.dueAt(key) ?? null;
  }

  // ── tickets ────────────────────────────────────────────────────────────────
  /**
   * With `onceKey`, the ticket already made under that key is answered instead of a second one;
   * with `activeKey`, the one under that key still queued or running.
   */
  async createTicket(
    tenantId: string,
    task: string,
    params: unknown,
    ttlMs = DEFAULT_TICKET_TTL_MS,
    onceKey?: string,
    activeKey?: string,
  ): Promise<Ticket> {
    this.core.remember(tenantId);
    return this.tickets.create(tenantId, task, params, ttlMs, onceKey, activeKey);
  }

  async getTicket(id: string): Promise<Ticket | undefined> {
    return this.tickets.get(id);
  }

  async listTickets(status?: TicketStatus, limit = 50): Promise<Ticket[]> {
    return this.tickets.list(status, limit);
  }

  async openStageTicket(tenantId: string, parentId: string, task: string, params: Record<string, unknown>) {
    this.core.remember(tenantId);
    return this.tickets.openStage(parentId, task, params);
  }

  async stageTickets(parentId: string): Promise<Ticket[]> {
    return this.tickets.stagesOf(parentId);
  }

  async listProjectTickets(task: string, projectId: string, limit = 20): Promise<Ticket[]> {
    return this.tickets.listForProject(task, projectId, limit);
  }

  /** For the queue consumer: the ticket and its params under a lease, `busy` while another runner holds it. */
  async startTicket(id: string): Promise<TicketStart> {
    return this.tickets.start(id);
  }

  /** For the queue consumer: the run failed and will be retried, so its lease ends now. */
  async releaseTicket(id: string, message: string): Promise<Ticket | undefined> {
    return this.tickets.release(id, message);
  }

  async reportProgress(id: string, progress: number, message: string): Promise<Ticket | undefined> {
    return this.tickets.progress(id, progress, message);
  }

  async completeTicket(id: string, resultJson: string): Promise<Ticket | undefined> {
    return this.tickets.finish(id, { status: "completed", resultJson });
  }

  async failTicket(id: string, error: string): Promise<Ticket | undefined> {
    return this.tickets.finish(id, { status: "failed", error });
  }

  async cancelTicket(id: string): Promise<Ticket | undefined> {
    return this.tickets.cancel(id);
  }

  /** Runs a failed ticket again; `undefined` when it is not failed. */
  async retryTicket(tenantId: string, id: string): Promise<Ticket | undefined> {
    return this.tickets.retry(tenantId, id);
  }

  // ── events (real-time) and outbound webhooks ───────────────────────────────
  /**
   * Logs the event; subscribed sockets, long-pollers and webhook endpoints
   * hear of it at once. Written behind: the change it announces is already
   * committed in Postgres, and a restart that loses it sends clients to
   * reload (capabilities/events.ts, decision 033).
   */
  async publish(channel: string, type: string, dataJson: string): Promise<TenantEvent> {
    return this.events.record(channel, type, dataJson, "behind");
  }

  /** Several events in one call, in order (a write's events, when no ledger key settles with them); as `publish`. */
  async publishMany(events: PendingEvent[]): Promise<void> {
    for (const event of events) await this.events.record(event.channel, event.type, event.dataJson, "behind");
  }

  /** The last fan-outs' send loops, oldest first: bench/fanout.ts splits its p99 with them (GET /api/_bench/fan-out). */
  async recentFanOuts(): Promise<FanOutTiming[]> {
    return this.sockets.recentFanOuts();
  }

  /** Events after `cursor`; with `waitMs`, a long poll (the fallback for networks that block WebSockets). */
  async poll(cursor: number, channels: string[], waitMs = 0, limit = 100) {
    return this.events.poll(cursor, channels, waitMs, limit);
  }

  /** The union of the enabled endpoints' event types; the webhook service keeps it current. */
  async setWebhookSubscriptions(tenantId: string, types: string[]): Promise<void> {
    this.core.remember(tenantId);
    this.webhooks.setSubscriptions(types);
  }

  /** Before an endpoint change commits: its event types join the list (see WebhookOutbox.addSubscriptions). */
  async addWebhookSubscriptions(tenantId: string, types: string[]): Promise<void> {
    this.core.remember(tenantId);
    this.webhooks.addSubscriptions(types);
  }

  // ── WebSockets (hibernation API): only the upgrade arrives by fetch ────────
  override async fetch(request: Request): Promise<Response> {
    return this.sockets.accept(request);
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.sockets.message(socket, message);
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    this.sockets.closed(socket, code, reason);
  }

  /** The one alarm: runs every due timer (alarm-scheduler.ts); a failed one throws, so the runtime retries. */
  override async alarm(): Promise<void> {
    await this.timers.runDue();
  }

  /** The health probe: writes and reads storage, so a healthy answer means the object's SQLite works. */
  async ping(): Promise<PingResult> {
    return this.core.ping();
  }
}
