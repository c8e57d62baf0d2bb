import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { idempotency } from "../middleware/idempotency";
import { relate, relationshipsOfEntity, unrelate } from "../services/relationships";
import type { RoutePolicy } from "./policy";
import { actorOf, guardedErrors, idempotencyKeyHeader, idParam, notFoundError } from "./shared";

const read: RoutePolicy = { risk: "READ", role: "viewer" };
const write: RoutePolicy = { risk: "WRITE-LOW", role: "member" };

const relationshipSchema = z
  .object({
    id: z.uuid(),
    fromId: z.uuid(),
    toId: z.uuid(),
    type: z.string(),
    data: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  })
  .openapi("Relationship");

const createRelationshipRoute = createRoute({
  method: "post",
  path: "/{id}/relationships",
  tags: ["relationships"],
  summary: "Link this entity to another (a typed, directed edge)",
  "x-apex-policy": write,
  middleware: [guard(write), idempotency] as const,
  request: {
    params: idParam,
    headers: idempotencyKeyHeader,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            toId: z.uuid(),
            type: z.string().regex(/^[a-z][a-z0-9_]{0,49}$/, "lowercase letters, digits and _"),
            data: z.record(z.string(), z.unknown()).optional(),
          }),
        },
      },
    },
  },
  responses: {
    201: { description: "Linked", content: { "application/json": { schema: relationshipSchema } } },
    409: { description: "This edge exists already" },
    ...guardedErrors,
    ...notFoundError,
  },
});

const listRelationshipsRoute = createRoute({
  method: "get",
  path: "/{id}/relationships",
  tags: ["relationships"],
  summary: "This entity's edges, outgoing, incoming or both",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  request: { params: idParam, query: z.object({ direction: z.enum(["out", "in", "both"]).default("both") }) },
  responses: {
    200: {
      description: "Edges",
      content: { "application/json": { schema: z.object({ items: z.array(relationshipSchema) }) } },
    },
    ...guardedErrors,
    ...notFoundError,
  },
});

const deleteRelationshipRoute = createRoute({
  method: "delete",
  path: "/{id}/relationships/{relationshipId}",
  tags: ["relationships"],
  summary: "Remove an edge",
  "x-apex-policy": write,
  middleware: [guard(write)] as const,
  request: {
    params: idParam.extend({
      relationshipId: z.uuid().openapi({ param: { name: "relationshipId", in: "path" } }),
    }),
  },
  responses: { 204: { description: "Removed" }, ...guardedErrors, ...notFoundError },
});

export function relationshipRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(createRelationshipRoute, async (c) =>
      c.json(await relate(c.req.valid("param").id, c.req.valid("json"), { db: c.var.db(), actor: actorOf(c) }), 201),
    )
    .openapi(listRelationshipsRoute, async (c) => {
      const items = await relationshipsOfEntity(c.req.valid("param").id, c.req.valid("query").direction, {
        db: c.var.db(),
        actor: actorOf(c),
      });
      return c.json({ items }, 200);
    })
    .openapi(deleteRelationshipRoute, async (c) => {
      const { id, relationshipId } = c.req.valid("param");
      await unrelate(id, relationshipId, { db: c.var.db(), actor: actorOf(c) });
      return c.body(null, 204);
    });
}
