import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "./policy";

export const pingPolicy: RoutePolicy = { risk: "READ", role: "public" };

const getPing = createRoute({
  method: "get",
  path: "/",
  tags: ["operations"],
  summary: "Liveness: the Worker answers, touching no dependency",
  "x-apex-policy": pingPolicy,
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
