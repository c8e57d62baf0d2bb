import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { idempotency } from "../middleware/idempotency";
import { defineEntityType, entityTypeList, TYPE_NAME } from "../services/entity-types";
import type { RoutePolicy } from "./policy";
import { actorOf, guardedErrors, idempotencyKeyHeader } from "./shared";

const read: RoutePolicy = { risk: "READ", role: "viewer" };
const define: RoutePolicy = { risk: "WRITE-HIGH", role: "admin" };

const entityTypeSchema = z
  .object({ name: z.string(), builtIn: z.boolean(), description: z.string(), jsonSchema: z.unknown() })
  .openapi("EntityType");

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["entity types"],
  summary: "Built-in and tenant-defined entity types with the JSON schema their data must pass",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  responses: {
    200: {
      description: "Types",
      content: { "application/json": { schema: z.object({ items: z.array(entityTypeSchema) }) } },
    },
    ...guardedErrors,
  },
});

const defineRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["entity types"],
  summary: "Define a tenant entity type by a JSON schema for its data",
  "x-apex-policy": define,
  middleware: [guard(define), idempotency] as const,
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
    ...guardedErrors,
  },
});

export function entityTypeRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(listRoute, async (c) =>
      c.json({ items: await entityTypeList({ db: c.var.db(), actor: actorOf(c) }) }, 200),
    )
    .openapi(defineRoute, async (c) =>
      c.json(await defineEntityType(c.req.valid("json"), { db: c.var.db(), actor: actorOf(c) }), 201),
    );
}
