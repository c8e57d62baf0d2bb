import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { setSpendCap, usageReport } from "../services/usage";
import { monthOf } from "../usage/prices";
import { defineRoute, idempotencyKeyHeader, idParam, notFoundError } from "./shared";

const read = { risk: "READ", role: "member" } satisfies RoutePolicy;
const setCap = { risk: "WRITE-HIGH", role: "owner" } satisfies RoutePolicy;

const spendSummary = z
  .object({
    projectId: z.uuid(),
    month: z.string(),
    status: z.enum(["active", "paused"]),
    spentUsd: z.number(),
    capUsd: z.number().nullable(),
  })
  .openapi("SpendSummary");

const usageReportSchema = spendSummary
  .extend({
    resources: z.array(
      z.object({
        resource: z.string(),
        unit: z.string(),
        quantity: z.number(),
        uses: z.number().int(),
        costUsd: z.number(),
      }),
    ),
  })
  .openapi("UsageReport");

const usageRoute = defineRoute(read, {
  method: "get",
  path: "/{id}/usage",
  tags: ["usage"],
  summary: "A project's spend for a month, per resource, summed from the usage ledger",
  request: {
    params: idParam,
    query: z.object({
      month: z
        .string()
        .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "a month like 2026-11")
        .optional()
        .openapi({ description: "YYYY-MM (UTC); defaults to the current month" }),
    }),
  },
  responses: {
    200: { description: "Usage", content: { "application/json": { schema: usageReportSchema } } },
    ...notFoundError,
  },
});

const spendCapRoute = defineRoute(setCap, {
  method: "put",
  path: "/{id}/spend-cap",
  tags: ["usage"],
  summary: "Set the monthly spend cap (null removes it); a cap above this month's spend resumes a paused project",
  request: {
    params: idParam,
    headers: idempotencyKeyHeader,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({ monthlyCapUsd: z.number().min(0).max(1_000_000).nullable() }).strict(),
        },
      },
    },
  },
  responses: {
    200: { description: "The cap and the month's spend", content: { "application/json": { schema: spendSummary } } },
    ...notFoundError,
  },
});

export function usageRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(usageRoute, async (c) => {
      const month = c.req.valid("query").month ?? monthOf(Date.now());
      return c.json(await usageReport(c.req.valid("param").id, month, c.get("services")), 200);
    })
    .openapi(spendCapRoute, async (c) =>
      c.json(await setSpendCap(c.req.valid("param").id, c.req.valid("json").monthlyCapUsd, c.get("services")), 200),
    );
}
