import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { idempotency } from "../middleware/idempotency";
import { setSpendCap, usageReport } from "../services/usage";
import { monthOf } from "../usage/prices";
import type { RoutePolicy } from "./policy";
import { actorOf, guardedErrors, idempotencyKeyHeader, idParam, notFoundError } from "./shared";

const read: RoutePolicy = { risk: "READ", role: "member" };
const setCap: RoutePolicy = { risk: "WRITE-HIGH", role: "owner" };

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

const usageRoute = createRoute({
  method: "get",
  path: "/{id}/usage",
  tags: ["usage"],
  summary: "A project's spend for a month, per resource, summed from the usage ledger",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
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
    ...guardedErrors,
    ...notFoundError,
  },
});

const spendCapRoute = createRoute({
  method: "put",
  path: "/{id}/spend-cap",
  tags: ["usage"],
  summary: "Set the monthly spend cap (null removes it); a cap above this month's spend resumes a paused project",
  "x-apex-policy": setCap,
  middleware: [guard(setCap), idempotency] as const,
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
    ...guardedErrors,
    ...notFoundError,
  },
});

export function usageRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(usageRoute, async (c) =>
      c.json(
        await usageReport(c.req.valid("param").id, c.req.valid("query").month ?? monthOf(Date.now()), {
          db: c.var.db(),
          actor: actorOf(c),
        }),
        200,
      ),
    )
    .openapi(spendCapRoute, async (c) =>
      c.json(
        await setSpendCap(c.req.valid("param").id, c.req.valid("json").monthlyCapUsd, {
          env: c.env,
          db: c.var.db(),
          actor: actorOf(c),
        }),
        200,
      ),
    );
}
