import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { admitCaller, verifyCredential } from "../services/authentication";
import { enforceRateDecision, tenantBucket } from "./rate-limit";

/**
 * Who is calling (decision 012), and whether the tenant's budget lets them:
 * the credential itself (an access token's signature or an API key in
 * Postgres), then, in one tenant-object call (decision 025), its session
 * (logged out, or minted before a membership change: 401) and a token from
 * the tenant's rate bucket (429). Why here and not in each handler: a route
 * cannot forget it, and every refusal is the same 401, with no oracle for
 * which part was off. A refused credential spends none of the tenant's
 * budget. Fails closed: anything short of a verified, current credential
 * within budget throws before `next()`.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const auth = await verifyCredential(c.req.raw, c.env, c.get("db"));
  c.set("tenantId", auth.tenantId);
  c.set("log", c.get("log").with({ tenantId: auth.tenantId }));
  const rate = await admitCaller(c.env, auth, { key: "api", policy: tenantBucket(c.env) });
  enforceRateDecision(c, rate);
  c.set("auth", auth);
  await next();
});
