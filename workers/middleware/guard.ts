import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ROLE_RANK } from "../auth/roles";
import type { AppEnv, AuthContext, Role } from "../context";
import { Problem } from "../problems";
import type { RoutePolicy } from "../routes/policy";
import { assertSessionCurrent, confirmRole, verifyCredential } from "../services/authentication";

/**
 * Per tenant: 20 requests a second sustained, bursts of 6× that
 * (TENANT_RATE_PER_SECOND overrides; the benchmarks raise it). Per IP on
 * credential routes: 10, then 1 every 6 s — enough for people, not for guessing.
 */
function tenantBucket(env: Env) {
  const perSecond = Number(env.TENANT_RATE_PER_SECOND) || 20;
  return { capacity: perSecond * 6, refillPerSecond: perSecond };
}
const IP_BUCKET = { capacity: 10, refillPerSecond: 1 / 6 };

function clientIp(request: Request): string {
  return request.headers.get("cf-connecting-ip") ?? "unknown";
}

async function rateLimit(c: Context<AppEnv>, objectName: string, bucket: string, policy: typeof IP_BUCKET) {
  const decision = await c.env.TENANT.getByName(objectName).takeRateToken(bucket, policy);
  const headers = {
    "RateLimit-Limit": String(decision.limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(decision.resetSeconds),
  };
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  if (!decision.allowed) {
    throw new Problem({
      status: 429,
      code: "rate-limited",
      title: "Too many requests",
      detail: `Slow down: try again in ${decision.retryAfterSeconds} s.`,
      headers: { ...headers, "Retry-After": String(decision.retryAfterSeconds) },
    });
  }
}

/**
 * The request pipeline for one route, in order:
 *   rate limit (429) → authenticate (401) → tenant context → authorize (403)
 * Validation (400/422) follows in the route's own zod validators. Fails
 * closed: a route whose policy names no known role admits nobody.
 *
 * Authentication has three parts (decision 012): the credential itself; its
 * session in the tenant object (logout, membership changes), checked
 * alongside the rate limit, which needs that same object; and, for
 * WRITE-HIGH routes only, the caller's role re-read from Postgres.
 */
export function guard(policy: RoutePolicy) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (policy.role === "public") {
      // Anonymous callers have no tenant; their bucket lives in an object named for their IP.
      if (policy.limitByIp) await rateLimit(c, `ip:${clientIp(c.req.raw)}`, "anonymous", IP_BUCKET);
      return next();
    }
    let auth: AuthContext = await verifyCredential(c.req.raw, c.env, c.var.db);
    c.set("tenantId", auth.tenantId);
    c.set("log", c.var.log.with({ tenantId: auth.tenantId }));
    await Promise.all([rateLimit(c, auth.tenantId, "api", tenantBucket(c.env)), assertSessionCurrent(c.env, auth)]);
    if (policy.risk === "WRITE-HIGH") auth = await confirmRole(auth, c.var.db);
    c.set("auth", auth);
    const required = ROLE_RANK[policy.role as Role];
    if (!required || ROLE_RANK[auth.role] < required) {
      throw new Problem({
        status: 403,
        code: "forbidden",
        title: "Forbidden",
        detail: `This action needs the ${policy.role} role; the caller is ${auth.role}.`,
      });
    }
    return next();
  });
}
