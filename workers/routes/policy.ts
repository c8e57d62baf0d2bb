/**
 * Every route declares how risky it is and who may call it (SPEC §5). The
 * declaration sits next to the route's schema, is published in the OpenAPI
 * document as `x-apex-policy`, and is what the authorize middleware enforces.
 */
export type RiskClass = "READ" | "WRITE-LOW" | "WRITE-HIGH";
export type RequiredRole = "public" | "viewer" | "member" | "admin" | "owner";

export interface RoutePolicy {
  risk: RiskClass;
  role: RequiredRole;
}
