import { every } from "hono/combine";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { authenticate } from "./authenticate";
import { authorize } from "./authorize";
import type { RoutePolicy } from "./policy";
import { limitByIp } from "./rate-limit";

const admitEveryone = createMiddleware<AppEnv>(async (_c, next) => {
  await next();
});

/**
 * The request pipeline for one route, in order:
 *   authenticate (401) → rate limit per tenant (429) → authorize (403)
 * (the first two in one tenant-object call: middleware/authenticate.ts)
 * A public route skips the first and the last; one that takes credentials
 * (`limitByIp`) is rate limited per client IP instead. Validation (400/422)
 * follows in the route's own zod validators. Authenticating first is what
 * names the tenant whose budget a request spends, and a refused credential
 * spends none of it; the role is re-read (WRITE-HIGH) only for callers within
 * their budget.
 */
export function guard(policy: RoutePolicy) {
  if (policy.role === "public") return policy.limitByIp ? limitByIp : admitEveryone;
  return every(authenticate, authorize(policy));
}
