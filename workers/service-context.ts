import type { Context } from "hono";
import type { Database } from "../schema/db";
import type { AppEnv, AuthContext, IdempotencyClaim, RequestActor } from "./context";
import { createLogger, type Logger } from "./logger";
import { type Publisher, publisherFor } from "./services/realtime";

/**
 * What a service needs from whoever calls it: an API request, a web page, an
 * agent run or a verified webhook. It is assembled here and nowhere else
 * (Unkey's per-request services, built once), so every caller hands services
 * the same things, and a service names the part it uses with
 * `Pick<ServiceContext, ...>`.
 */
export interface ServiceContext {
  env: Env;
  /** Postgres, opened on first read: a caller refused before it needs the database never connects. */
  readonly db: Database;
  /** Who acts and how we know: recorded on every audit row. */
  actor: RequestActor;
  /** Announces a committed change on the tenant's event log (realtime clients, webhooks). */
  publish: Publisher;
  log: Logger;
  /**
   * An API request's Idempotency-Key: the one service call a route makes for
   * the request records it with its effect, in the same transaction
   * (decision 013). Absent for pages, agents and requests without a key.
   */
  readonly idempotency?: IdempotencyClaim | undefined;
}

/** What a public route knows before anyone is authenticated: everything but an actor. */
export type AnonymousContext = Pick<ServiceContext, "env" | "db" | "log"> & Pick<RequestActor, "requestId" | "ip">;

/** The one assembly every builder below ends in. */
export function contextFor(
  actor: RequestActor,
  {
    env,
    db,
    log,
    idempotency,
    publish,
  }: {
    env: Env;
    db: () => Database;
    log: Logger;
    idempotency?: () => IdempotencyClaim | undefined;
    /** Where events go instead of straight to the tenant object (a request's PendingEvents). */
    publish?: Publisher;
  },
): ServiceContext {
  return {
    env,
    get db() {
      return db();
    },
    actor,
    publish: publish ?? publisherFor(env, actor.auth.tenantId),
    log,
    get idempotency() {
      return idempotency?.();
    },
  };
}

const clientIp = <E extends AppEnv>(c: Context<E>) => c.req.header("cf-connecting-ip") ?? null;

/**
 * An API request, by default as the caller the guard authenticated; a route
 * that proves its caller another way (Twilio's signature) names its actor.
 */
export function contextFrom<E extends AppEnv>(c: Context<E>, actor: RequestActor = callerOf(c)): ServiceContext {
  // Read when a service asks: the idempotency middleware sets the claim after this context is built.
  const pending = c.get("pendingEvents");
  return contextFor(actor, {
    env: c.env,
    db: c.get("db"),
    log: c.get("log"),
    idempotency: () => c.get("idempotency"),
    ...(pending ? { publish: pending.publish } : {}),
  });
}

function callerOf<E extends AppEnv>(c: Context<E>): RequestActor {
  const auth = c.get("auth");
  // Fails closed: a route without the guard has no caller to act as.
  if (!auth) throw new Error("contextFrom called on a route without a guard");
  return {
    auth,
    requestId: c.get("requestId"),
    clientRequestId: c.get("clientRequestId"),
    ip: clientIp(c),
  };
}

/** A public route (sign-up, lead intake, a signed download link): no actor until a service finds one. */
export function anonymousContextFrom<E extends AppEnv>(c: Context<E>): AnonymousContext {
  return {
    env: c.env,
    get db() {
      return c.get("db")();
    },
    log: c.get("log"),
    requestId: c.get("requestId"),
    ip: clientIp(c),
  };
}

/** A web page's signed-in user (app/lib/session.server.ts): one request id per loader or action. */
export function contextFromSession(session: {
  env: Env;
  auth: AuthContext;
  db: () => Database;
  ip: string | null;
}): ServiceContext {
  const requestId = crypto.randomUUID();
  const actor: RequestActor = { auth: session.auth, requestId, ip: session.ip };
  const log = createLogger({ requestId, tenantId: session.auth.tenantId });
  return contextFor(actor, { env: session.env, db: session.db, log });
}

/** An agent's run (agents/agent.ts AgentContext): the actor it runs for, its lazily opened database, its log. */
export function contextFromAgent(agent: {
  env: Env;
  actor: RequestActor;
  db: () => Database;
  log: Logger;
}): ServiceContext {
  return contextFor(agent.actor, { env: agent.env, db: agent.db, log: agent.log });
}
