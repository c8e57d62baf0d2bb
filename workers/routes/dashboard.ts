import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { dashboard } from "../services/dashboard";
import { listProjects } from "../services/projects";
import { defineRoute } from "./shared";

const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;

const dashboardRoute = defineRoute(read, {
  method: "get",
  path: "/dashboard",
  tags: ["dashboard"],
  summary: "Today's leads by source, calls answered and missed, speed-to-lead median and p90, spend against the cap",
  responses: {
    200: { description: "The numbers", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } },
  },
});

const projectsRoute = defineRoute(read, {
  method: "get",
  path: "/projects",
  tags: ["projects"],
  summary: "The tenant's projects",
  responses: {
    200: {
      description: "Projects",
      content: {
        "application/json": {
          schema: z.object({
            items: z.array(
              z.object({ id: z.uuid(), name: z.string(), spendStatus: z.string(), createdAt: z.string() }),
            ),
          }),
        },
      },
    },
  },
});

export function dashboardRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(dashboardRoute, async (c) => c.json(await dashboard(c.var.services), 200))
    .openapi(projectsRoute, async (c) => c.json({ items: await listProjects(c.var.services) }, 200));
}
