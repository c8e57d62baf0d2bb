import type { Database } from "../schema/db";
import type { Logger } from "./logger";

export type Role = "owner" | "admin" | "member" | "viewer";

/** Who is calling and how we know (SPEC §4.9): recorded on every audit row. */
export interface AuthContext {
  /**
   * `system`: cron jobs and agents acting for the tenant, not a caller.
   * `webhook`: a lead source or Twilio, proven by its signature or shared secret.
   */
  method: "jwt" | "api-key" | "system" | "webhook";
  tenantId: string;
  role: Role;
  userId?: string;
  apiKeyId?: string;
  /** The key that verified a JWT, and its issuer. */
  kid?: string;
  issuer?: string;
  verifiedAt: Date;
}

/** What every request carries through the middleware chain. */
export interface AppVariables {
  requestId: string;
  log: Logger;
  /** Opens Postgres on first use; closed after the response (middleware/database.ts). */
  db: () => Database;
  /** Set by the guard once the caller is authenticated. */
  auth?: AuthContext;
  tenantId?: string;
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
  ip: string | null;
}
