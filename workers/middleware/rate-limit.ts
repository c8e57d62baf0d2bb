import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { BucketPolicy, RateDecision } from "../../durable-objects/capabilities/rate-limits";
import type { AppEnv } from "../context";
import { Problem } from "../problems";

/**
 * Per tenant (taken by `authenticate`, in the same object call as the
 * session check; why per tenant: one tenant's burst must not starve the
 * others, and the budget is the tenant's whatever key or user spends it):
 * 20 requests a second sustained, bursts of 6× that
 * (TENANT_RATE_PER_SECOND overrides; the benchmarks raise it). Per IP on
 * credential routes: 10, then 1 every 6 s — enough for people, not for guessing.
 */
export function tenantBucket(env: Env): BucketPolicy {
  const perSecond = Number(env.TENANT_RATE_PER_SECOND) || 20;
  return { capacity: perSecond * 6, refillPerSecond: perSecond };
}
const IP_BUCKET = { capacity: 10, refillPerSecond: 1 / 6 };

function clientIp(request: Request): string {
  return request.headers.get("cf-connecting-ip") ?? "unknown";
}

/** The objects that keep buckets: a tenant's own, or the rate limiter of an IP. */
type BucketHolder = { takeRateToken(bucket: string, policy: BucketPolicy): Promise<RateDecision> };

/** Takes one token from `bucket`; 429 with Retry-After when none is left. */
async function takeToken(c: Context<AppEnv>, holder: BucketHolder, bucket: string, policy: BucketPolicy) {
  enforceRateDecision(c, await holder.takeRateToken(bucket, policy));
}

/** The bucket's state on the answer; 429 with Retry-After when the token was refused. */
export function enforceRateDecision(c: Context<AppEnv>, decision: RateDecision): void {
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
 * Why per IP: anonymous callers have no tenant, and credential routes (sign
 * up, log in) are where guessing happens; their bucket lives in the rate
 * limiter object of the IP (durable-objects/rate-limiter.ts).
 */
export const limitByIp = createMiddleware<AppEnv>(async (c, next) => {
  await takeToken(c, c.env.RATE_LIMITER.getByName(clientIp(c.req.raw)), "anonymous", IP_BUCKET);
  await next();
});
