import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { defineEntityType, entityTypeList, TYPE_NAME } from "../services/entity-types";
import { defineRoute, idempotencyKeyHeader } from "./shared";

const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;
const define = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;

const entityTypeSchema = z
  .object({ name: z.string(), builtIn: z.boolean(), description: z.string(), jsonSchema: z.unknown() })
  .openapi("EntityType");

const listRoute = defineRoute(read, {
  method: "get",
  path: "/",
  tags: ["entity types"],
  summary: "Built-in and tenant-defined entity types with the JSON schema their data must pass",
  responses: {
    200: {
      description: "Types",
      content: { "application/json": { schema: z.object({ items: z.array(entityTypeSchema) }) } },
    },
  },
});

const defineTypeRoute = defineRoute(define, {
  method: "post",
  path: "/",
  tags: ["entity types"],
  summary: "Define a tenant entity type by a JSON schema for its data",
  request: {
    headers: idempotencyKeyHeader,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            name: z.string().regex(TYPE_NAME, "lowercase letters, digits and _"),
            description: z.string().max(500).optional(),
            jsonSchema: z.record(z.string(), z.unknown()),
          }),
        },
      },
    },
  },
  responses: {
    201: { description: "Defined", content: { "application/json": { schema: entityTypeSchema } } },
    409: { description: "A type of this name exists" },
  },
});

export function entityTypeRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(listRoute, async (c) => c.json({ items: await entityTypeList(c.get("services")) }, 200))
    .openapi(defineTypeRoute, async (c) => c.json(await defineEntityType(c.req.valid("json"), c.get("services")), 201));
}
