import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { checkHealth } from "../services/health";
import { defineRoute } from "./shared";

const status = z.enum(["ok", "down"]);
/** ok; refused (answered, but turned the credentials or account away); unreachable (no answer in 1.5 s, an error, 429/5xx). */
const probed = z.enum(["ok", "refused", "unreachable", "not-configured"]);

const healthReport = z
  .object({
    status,
    postgres: status,
    tenantObject: status,
    queue: z.enum(["bound", "missing"]),
    twilio: probed.describe(
      "The account fetched with the platform's credentials (cached: 60 s when ok, 10 s when not)",
    ),
    llm: z
      .object({ provider: z.enum(["gemini", "openai", "rules"]), status: probed })
      .describe("The platform's model provider and its model list (cached like twilio); rules need nothing"),
    browser: z
      .enum(["configured", "not-configured"])
      .describe("Whether the browser binding exists; opening a session is too slow and costly to probe"),
    timingsMs: z.object({ postgres: z.number(), tenantObject: z.number() }),
    errors: z
      .object({
        postgres: z.string().optional(),
        tenantObject: z.string().optional(),
        twilio: z.string().optional(),
        llm: z.string().optional(),
      })
      .optional(),
  })
  .openapi("HealthReport");

const healthPolicy = { risk: "READ", role: "public" } satisfies RoutePolicy;

const getHealth = defineRoute(healthPolicy, {
  method: "get",
  path: "/",
  tags: ["operations"],
  summary: "Probe Postgres and the tenant Durable Object; probe Twilio and the LLM provider",
  description:
    "200 when the core (Postgres, tenant object) answers, 503 when either does not. " +
    "Twilio and the LLM are probed too, but never make health down.",
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
    c.get("log").warn("health down", { errors: report.errors });
    return c.json(report, 503);
  });
}
