import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { checkHealth } from "../services/health";
import { defineRoute } from "./shared";

const status = z.enum(["ok", "down"]);
const configured = z.enum(["configured", "not-configured"]);

const healthReport = z
  .object({
    status,
    postgres: status,
    tenantObject: status,
    queue: z.enum(["bound", "missing"]),
    twilio: configured,
    llm: z.enum(["gemini", "rules"]),
    browser: configured,
    timingsMs: z.object({ postgres: z.number(), tenantObject: z.number() }),
    errors: z.object({ postgres: z.string().optional(), tenantObject: z.string().optional() }).optional(),
  })
  .openapi("HealthReport");

const healthPolicy = { risk: "READ", role: "public" } satisfies RoutePolicy;

const getHealth = defineRoute(healthPolicy, {
  method: "get",
  path: "/",
  tags: ["operations"],
  summary: "Probe Postgres and the tenant Durable Object; report which integrations are configured",
  description: "200 when the core (Postgres, tenant object) answers, 503 when either does not.",
  responses: {
    200: { description: "Core is up", content: { "application/json": { schema: healthReport } } },
    503: {
      description: "Postgres or the tenant object is down",
      content: { "application/json": { schema: healthReport } },
    },
  },
});

export function healthRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(getHealth, async (c) => {
    const report = await checkHealth(c.env, (promise) => c.executionCtx.waitUntil(promise));
    c.header("Cache-Control", "no-store");
    if (report.status === "ok") return c.json(report, 200);
    c.var.log.warn("health down", { errors: report.errors });
    return c.json(report, 503);
  });
}
