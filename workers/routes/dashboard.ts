import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { dashboard } from "../services/dashboard";
import { listProjects } from "../services/projects";
import type { RoutePolicy } from "./policy";
import { actorOf, guardedErrors } from "./shared";

const read: RoutePolicy = { risk: "READ", role: "viewer" };

const dashboardRoute = createRoute({
  method: "get",
  path: "/dashboard",
  tags: ["dashboard"],
  summary: "Today's leads by source, calls answered and missed, speed-to-lead median and p90, spend against the cap",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  responses: {
    200: { description: "The numbers", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } },
    ...guardedErrors,
  },
});

const projectsRoute = createRoute({
  method: "get",
  path: "/projects",
  tags: ["projects"],
  summary: "The tenant's projects",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
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
    ...guardedErrors,
  },
});

export function dashboardRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(dashboardRoute, async (c) => c.json(await dashboard({ db: c.var.db(), actor: actorOf(c) }), 200))
    .openapi(projectsRoute, async (c) =>
      c.json({ items: await listProjects({ db: c.var.db(), actor: actorOf(c) }) }, 200),
    );
}
