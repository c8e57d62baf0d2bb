/**
 * Every route declares how risky it is and who may call it (the role it requires). The
 * declaration sits next to the route's schema, and `defineRoute`
 * (routes/shared.ts) both publishes it in the OpenAPI document as
 * `x-apex-policy` and configures the guard that enforces it (middleware/
 * guard.ts) from the one object, so the two cannot drift apart. It lives with
 * the middleware that reads it: middleware never imports routes.
 */
export type RiskClass = "READ" | "WRITE-LOW" | "WRITE-HIGH";
export type RequiredRole = "public" | "viewer" | "member" | "admin" | "owner";

export interface RoutePolicy {
  risk: RiskClass;
  role: RequiredRole;
  /** Public routes that take credentials (signup, login) are rate limited per client IP. */
  limitByIp?: boolean;
}
