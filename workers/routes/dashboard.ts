import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { dashboard } from "../services/dashboard";
import { defineRoute } from "./shared";

const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;

const seconds = (what: string) =>
  z
    .number()
    .nullable()
    .openapi({ description: `${what}; null when no lead got there` });

const speedFigures = z
  .object({
    leads: z.number().int().openapi({ description: "Leads that came in during the window" }),
    dialled: z.number().int().openapi({ description: "Of those, leads whose owner's phone was dialled" }),
    connected: z.number().int().openapi({ description: "Of those, leads the owner was connected to" }),
    dialledMedianSeconds: seconds("Median seconds from intake to the owner's phone dialled"),
    dialledP90Seconds: seconds("90th percentile, intake to the owner's phone dialled"),
    connectedMedianSeconds: seconds("Median seconds from intake to the customer connected"),
    connectedP90Seconds: seconds("90th percentile, intake to the customer connected"),
  })
  .openapi("SpeedToLeadFigures");

const speedWindow = z.object({
  all: speedFigures,
  bySource: z.record(z.string(), speedFigures).openapi({ description: "Per lead source (`data.source`, else manual)" }),
});

const dashboardSchema = z
  .object({
    date: z.string().openapi({ description: "Today (UTC), the day `leadsToday`, `bySource` and `calls` count" }),
    leadsToday: z.number().int(),
    bySource: z.record(z.string(), z.number().int()).openapi({ description: "Today's leads per source" }),
    calls: z.object({ total: z.number().int(), answered: z.number().int(), missed: z.number().int() }),
    speedToLead: z
      .object({ last24Hours: speedWindow, last30Days: speedWindow })
      .openapi({ description: "Percentiles interpolate (percentile_cont); seconds to one decimal" }),
    spend: z
      .object({ projectId: z.string(), spentUsd: z.number(), capUsd: z.number().nullable(), status: z.string() })
      .nullable(),
    huntAlerts: z
      .array(
        z.object({
          id: z.string(),
          title: z.string(),
          platform: z.string(),
          place: z.string().nullable(),
          alertedAt: z.string(),
        }),
      )
      .openapi({
        description: "Posts the lead hunter told the owner about in the last 24 h, newest first (at most 5)",
      }),
    seo: z
      .object({
        projectId: z.string(),
        pages: z.number().int().openapi({ description: "The project's Local SEO (pSEO) pages" }),
        byStatus: z.record(z.string(), z.number().int()).openapi({
          description:
            "Pages per status: written, needs-review, ready, draft (in WordPress, not live), approved, published",
        }),
      })
      .nullable()
      .optional()
      .openapi({ description: "The Local SEO pipeline's pages; null without a project" }),
  })
  .openapi("Dashboard");

const dashboardRoute = defineRoute(read, {
  method: "get",
  path: "/dashboard",
  tags: ["dashboard"],
  summary:
    "Today's leads by source, calls answered and missed, speed-to-lead median and p90 over 24 h and 30 days per source, spend against the cap",
  request: {
    query: z.object({
      projectId: z
        .uuid()
        .optional()
        .openapi({ description: "One project's numbers (the web app's chosen project); default: all projects" }),
    }),
  },
  responses: {
    200: { description: "The numbers", content: { "application/json": { schema: dashboardSchema } } },
  },
});

/** The tenant's projects are listed by routes/projects.ts (GET /api/v1/projects). */
export function dashboardRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(dashboardRoute, async (c) =>
    c.json(await dashboard(c.get("services"), { projectId: c.req.valid("query").projectId }), 200),
  );
}
