import { createMiddleware } from "hono/factory";
import { ROLE_RANK } from "../auth/roles";
import type { AppEnv, Role } from "../context";
import { Problem, problems } from "../problems";
import { confirmRole } from "../services/authentication";
import type { RoutePolicy } from "./policy";

/**
 * May this caller do this: the route's least role against the caller's. For
 * WRITE-HIGH routes (keys, members, secrets, spend) the role is re-read from
 * Postgres first, not taken from the token (decision 012). Fails closed: no
 * authenticated caller is a 401, and a policy naming no known role admits
 * nobody.
 */
export function authorize(policy: RoutePolicy) {
  return createMiddleware<AppEnv>(async (c, next) => {
    let auth = c.get("auth");
    if (!auth) throw problems.unauthorized("Send a bearer access token or an API key.");
    if (policy.risk === "WRITE-HIGH") {
      auth = await confirmRole(auth, c.get("db"));
      c.set("auth", auth);
    }
    const required = ROLE_RANK[policy.role as Role];
    if (!required || ROLE_RANK[auth.role] < required) {
      throw new Problem({
        status: 403,
        code: "forbidden",
        title: "Forbidden",
        detail: `This action needs the ${policy.role} role; the caller is ${auth.role}.`,
      });
    }
    await next();
  });
}
