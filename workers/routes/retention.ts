import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { retentionPolicies, setRetentionPolicy } from "../services/retention";
import { defineRoute } from "./shared";

const read = { risk: "READ", role: "admin" } satisfies RoutePolicy;
const write = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;

const days = z.number().int().min(0).max(36_500).nullable();
const policySchema = z
  .object({
    entityType: z.string(),
    purgeDeletedAfterDays: days,
    archiveAfterDays: days,
    updatedAt: z.string(),
  })
  .openapi("RetentionPolicy");

const listRoute = defineRoute(read, {
  method: "get",
  path: "/",
  tags: ["retention"],
  summary: "Retention policies per entity type (applied daily by cron)",
  responses: {
    200: {
      description: "Policies",
      content: { "application/json": { schema: z.object({ items: z.array(policySchema) }) } },
    },
  },
});

const putRoute = defineRoute(
  write,
  {
    method: "put",
    path: "/{entityType}",
    tags: ["retention"],
    summary:
      "Set when soft-deleted entities of a type are purged and when old ones are archived; null turns a rule off",
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
    },
  },
  { naturallyIdempotent: "the policy is replaced whole: the same body twice leaves the same policy" },
);

export function retentionRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(listRoute, async (c) => c.json({ items: await retentionPolicies(c.get("services")) }, 200))
    .openapi(putRoute, async (c) =>
      c.json(await setRetentionPolicy(c.req.valid("param").entityType, c.req.valid("json"), c.get("services")), 200),
    );
}
