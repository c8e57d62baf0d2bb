import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { retentionPolicies, setRetentionPolicy } from "../services/retention";
import type { RoutePolicy } from "./policy";
import { actorOf, guardedErrors } from "./shared";

const read: RoutePolicy = { risk: "READ", role: "admin" };
const write: RoutePolicy = { risk: "WRITE-HIGH", role: "admin" };

const days = z.number().int().min(0).max(36_500).nullable();
const policySchema = z
  .object({
    entityType: z.string(),
    purgeDeletedAfterDays: days,
    archiveAfterDays: days,
    updatedAt: z.string(),
  })
  .openapi("RetentionPolicy");

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["retention"],
  summary: "Retention policies per entity type (applied daily by cron)",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  responses: {
    200: {
      description: "Policies",
      content: { "application/json": { schema: z.object({ items: z.array(policySchema) }) } },
    },
    ...guardedErrors,
  },
});

const putRoute = createRoute({
  method: "put",
  path: "/{entityType}",
  tags: ["retention"],
  summary: "Set when soft-deleted entities of a type are purged and when old ones are archived; null turns a rule off",
  "x-apex-policy": write,
  middleware: [guard(write)] as const,
  request: {
    params: z.object({
      entityType: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,49}$/)
        .openapi({ param: { name: "entityType", in: "path" } }),
    }),
    body: {
      required: true,
      content: {
        "application/json": { schema: z.object({ purgeDeletedAfterDays: days, archiveAfterDays: days }).strict() },
      },
    },
  },
  responses: {
    200: { description: "Saved", content: { "application/json": { schema: policySchema } } },
    ...guardedErrors,
  },
});

export function retentionRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(listRoute, async (c) =>
      c.json({ items: await retentionPolicies({ db: c.var.db(), actor: actorOf(c) }) }, 200),
    )
    .openapi(putRoute, async (c) =>
      c.json(
        await setRetentionPolicy(c.req.valid("param").entityType, c.req.valid("json"), {
          db: c.var.db(),
          actor: actorOf(c),
        }),
        200,
      ),
    );
}
