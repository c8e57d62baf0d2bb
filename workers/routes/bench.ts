import { OpenAPIHono, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { problems } from "../problems";
import { benchPostgresInsert, benchTenantObjectRoundTrip } from "../services/bench";
import { defineRoute } from "./shared";

/**
 * Floors for `npm run bench`: the cost of one tenant-object RPC and of one
 * Postgres insert, each behind the same Worker and middleware as real routes.
 * They exist only where BENCH_ROUTES=on (bench/run.ts sets it) and never when
 * APP_ENV is production, whatever BENCH_ROUTES says; anywhere else they are
 * indistinguishable from an unknown route. They are left out of the OpenAPI
 * document (`hide`): they are not part of the API anyone may call.
 */
const benchOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.env.BENCH_ROUTES !== "on" || c.env.APP_ENV === "production") {
    throw problems.notFound(`Nothing answers ${c.req.method} ${c.req.path}.`);
  }
  await next();
});

const benchPolicy = { risk: "WRITE-LOW", role: "public" } satisfies RoutePolicy;

const tenantObjectRpc = defineRoute(
  benchPolicy,
  {
    method: "post",
    path: "/tenant-object-rpc",
    tags: ["bench"],
    summary: "One RPC round trip to a tenant Durable Object (bench only)",
    hide: true,
    responses: {
      200: { description: "Done", content: { "application/json": { schema: z.object({ pings: z.number() }) } } },
    },
  },
  { middleware: [benchOnly] },
);

const postgresInsert = defineRoute(
  benchPolicy,
  {
    method: "post",
    path: "/postgres-insert",
    tags: ["bench"],
    summary: "One insert in a tenant transaction through the Neon driver (bench only)",
    hide: true,
    responses: {
      200: { description: "Done", content: { "application/json": { schema: z.object({ ok: z.literal(true) }) } } },
    },
  },
  { middleware: [benchOnly] },
);

export function benchRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(tenantObjectRpc, async (c) => c.json({ pings: await benchTenantObjectRoundTrip(c.env) }, 200))
    .openapi(postgresInsert, async (c) => {
      await benchPostgresInsert(c.env, c.var.requestId, (p) => c.executionCtx.waitUntil(p));
      return c.json({ ok: true as const }, 200);
    });
}
