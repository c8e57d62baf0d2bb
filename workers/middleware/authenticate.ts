import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { assertSessionCurrent, verifyCredential } from "../services/authentication";

/**
 * Who is calling (decision 012): the credential itself, an access token's
 * signature or an API key in Postgres, and then its session in the tenant
 * object (logged out, or minted before a membership change). Why here and
 * not in each handler: a route cannot forget it, and every refusal is the
 * same 401, with no oracle for which part was off. Fails closed: anything
 * short of a verified, current credential throws before `next()`.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const auth = await verifyCredential(c.req.raw, c.env, c.var.db);
  c.set("tenantId", auth.tenantId);
  c.set("log", c.var.log.with({ tenantId: auth.tenantId }));
  await assertSessionCurrent(c.env, auth);
  c.set("auth", auth);
  await next();
});
