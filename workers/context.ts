import type { Database, DatabaseLane } from "../schema/db";
import type { Logger } from "./logger";
import type { PendingEvents } from "./services/realtime";

export type Role = "owner" | "admin" | "member" | "viewer";

/** Who is calling and how we know (method, key id, issuer): recorded on every audit row. */
export interface AuthContext {
  /**
   * `system`: cron jobs and agents acting for the tenant, not a caller.
   * `webhook`: a lead source or Twilio, proven by its signature or shared secret.
   */
  method: "jwt" | "api-key" | "system" | "webhook";
  tenantId: string;
  role: Role;
  /** The person: the caller of a JWT, or the creator an API key acts for. */
  userId?: string;
  apiKeyId?: string;
  /** JWT only: the login session and membership version the token was minted with (decision 012). */
  sessionId?: string;
  membershipVersion?: number;
  /** The key that verified a JWT, and its issuer. */
  kid?: string;
  issuer?: string;
  verifiedAt: Date;
}

/** A request's Idempotency-Key as the tenant's ledger holds it, and the hash of what it was sent with. */
export interface IdempotencyClaim {
  key: string;
  fingerprint: string;
}

/** What every request carries through the middleware chain. */
interface AppVariables {
  /** Minted by the server for every request; never taken from the client. */
  requestId: string;
  /** The client's own X-Request-Id, if it sent a well-formed one: kept beside ours, labelled, never trusted. */
  clientRequestId?: string;
  log: Logger;
  /** Opens Postgres on first use; closed after the response (middleware/database.ts). */
  db: () => Database;
  /** Set by a route that does bulk work (a campaign's delivery reports) before its first query (decision 030). */
  databaseLane?: DatabaseLane;
  /** Keeps the request's Postgres open until `work` settles (middleware/database.ts). */
  holdDatabase: (work: Promise<unknown>) => void;
  /** Set by the guard once the caller is authenticated. */
  auth?: AuthContext;
  /** Set by the idempotency middleware when the request carries an Idempotency-Key (decision 013). */
  idempotency?: IdempotencyClaim;
  tenantId?: string;
  /** A guarded request's events, held until its write settles (middleware/services.ts). */
  pendingEvents?: PendingEvents;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

/** The actor of work nobody requested directly (cron, retention, agents). */
export function systemActor(tenantId: string, job: string): RequestActor {
  return {
    auth: { method: "system", tenantId, role: "owner", verifiedAt: new Date() },
    requestId: `${job}:${crypto.randomUUID()}`,
    ip: null,
  };
}

/** A verified inbound webhook (lead source, Twilio) acting on a tenant. */
export function webhookActor(tenantId: string, source: string, requestId: string, ip: string | null): RequestActor {
  return {
    auth: { method: "webhook", tenantId, role: "owner", issuer: source, verifiedAt: new Date() },
    requestId,
    ip,
  };
}

/** The facts an audited action needs about its request. */
export interface RequestActor {
  auth: AuthContext;
  requestId: string;
  clientRequestId?: string;
  ip: string | null;
}
