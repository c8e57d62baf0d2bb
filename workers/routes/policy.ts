/**
 * Every route declares how risky it is and who may call it (SPEC §5). The
 * declaration sits next to the route's schema, is published in the OpenAPI
 * document as `x-apex-policy`, and the same object configures the guard that
 * enforces it (middleware/guard.ts) — the two cannot drift apart.
 */
export type RiskClass = "READ" | "WRITE-LOW" | "WRITE-HIGH";
export type RequiredRole = "public" | "viewer" | "member" | "admin" | "owner";

export interface RoutePolicy {
  risk: RiskClass;
  role: RequiredRole;
  /** Public routes that take credentials (signup, login) are rate limited per client IP. */
  limitByIp?: boolean;
}
