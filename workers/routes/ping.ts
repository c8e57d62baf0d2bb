import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { defineRoute } from "./shared";

const pingPolicy = { risk: "READ", role: "public" } satisfies RoutePolicy;

const getPing = defineRoute(pingPolicy, {
  method: "get",
  path: "/",
  tags: ["operations"],
  summary: "Liveness: the Worker answers, touching no dependency",
  responses: {
    200: {
      description: "The Worker is alive",
      content: { "application/json": { schema: z.object({ ok: z.literal(true) }).openapi("Ping") } },
    },
  },
});

export function pingRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(getPing, (c) => c.json({ ok: true as const }, 200));
}
