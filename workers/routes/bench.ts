import { OpenAPIHono, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { problems } from "../problems";
import { benchPostgresInsert, benchRecentFanOuts, benchTenantObjectRoundTrip } from "../services/bench";
import { invocationsSoFar, objectCallsSoFar } from "../services/bench-counting";
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

const objectCalls = defineRoute(
  { risk: "READ", role: "public" },
  {
    method: "get",
    path: "/object-calls",
    tags: ["bench"],
    summary: "Durable Object calls, requests and queue messages this Worker has handled since it started (bench only)",
    hide: true,
    responses: {
      200: {
        description: "Counted",
        content: {
          "application/json": {
            schema: z.object({ objectCalls: z.number(), requests: z.number(), queueMessages: z.number() }),
          },
        },
      },
    },
  },
  { middleware: [benchOnly] },
);

const fanOutTiming = z.object({
  seq: z.number(),
  channel: z.string(),
  sockets: z.number(),
  sent: z.number(),
  startedAt: z.number(),
  loopMs: z.number(),
});

const fanOuts = defineRoute(
  { risk: "READ", role: "viewer" },
  {
    method: "get",
    path: "/fan-out",
    tags: ["bench"],
    summary: "The caller's tenant object's recent WebSocket send loops (bench only)",
    hide: true,
    responses: {
      200: {
        description: "Oldest first",
        content: { "application/json": { schema: z.object({ fanOuts: z.array(fanOutTiming) }) } },
      },
    },
  },
);

export function benchRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  // Before the route's guard: where bench routes are off this is an unknown route, not a 401.
  app.use("/fan-out", benchOnly);
  return app
    .openapi(fanOuts, async (c) =>
      c.json({ fanOuts: await benchRecentFanOuts(c.env, c.get("services").actor.auth.tenantId) }, 200),
    )
    .openapi(tenantObjectRpc, async (c) => c.json({ pings: await benchTenantObjectRoundTrip(c.env) }, 200))
    .openapi(postgresInsert, async (c) => {
      await benchPostgresInsert(c.env, c.get("requestId"), (p) => c.executionCtx.waitUntil(p));
      return c.json({ ok: true as const }, 200);
    })
    .openapi(objectCalls, async (c) => c.json({ objectCalls: objectCallsSoFar(), ...invocationsSoFar() }, 200));
}
