import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { dashboard } from "../services/dashboard";
import { defineRoute } from "./shared";

const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;

const dashboardRoute = defineRoute(read, {
  method: "get",
  path: "/dashboard",
  tags: ["dashboard"],
  summary: "Today's leads by source, calls answered and missed, speed-to-lead median and p90, spend against the cap",
  request: {
    query: z.object({
      projectId: z
        .uuid()
        .optional()
        .openapi({ description: "One project's numbers (the web app's chosen project); default: all projects" }),
    }),
  },
  responses: {
    200: { description: "The numbers", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } },
  },
});

/** The tenant's projects are listed by routes/projects.ts (GET /api/v1/projects). */
export function dashboardRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(dashboardRoute, async (c) =>
    c.json(await dashboard(c.var.services, { projectId: c.req.valid("query").projectId }), 200),
  );
}
