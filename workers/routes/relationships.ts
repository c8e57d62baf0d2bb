import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { relate, relationshipsOfEntity, unrelate } from "../services/relationships";
import { defineRoute, idempotencyKeyHeader, idParam, notFoundError } from "./shared";

const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;
const write = { risk: "WRITE-LOW", role: "member" } satisfies RoutePolicy;

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

const createRelationshipRoute = defineRoute(write, {
  method: "post",
  path: "/{id}/relationships",
  tags: ["relationships"],
  summary: "Link this entity to another (a typed, directed edge)",
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
    ...notFoundError,
  },
});

const listRelationshipsRoute = defineRoute(read, {
  method: "get",
  path: "/{id}/relationships",
  tags: ["relationships"],
  summary: "This entity's edges, outgoing, incoming or both",
  request: { params: idParam, query: z.object({ direction: z.enum(["out", "in", "both"]).default("both") }) },
  responses: {
    200: {
      description: "Edges",
      content: { "application/json": { schema: z.object({ items: z.array(relationshipSchema) }) } },
    },
    ...notFoundError,
  },
});

const deleteRelationshipRoute = defineRoute(
  write,
  {
    method: "delete",
    path: "/{id}/relationships/{relationshipId}",
    tags: ["relationships"],
    summary: "Remove an edge",
    request: {
      params: idParam.extend({
        relationshipId: z.uuid().openapi({ param: { name: "relationshipId", in: "path" } }),
      }),
    },
    responses: { 204: { description: "Removed" }, ...notFoundError },
  },
  { naturallyIdempotent: "deleting a deleted relationship changes nothing (a repeat answers 404)" },
);

export function relationshipRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(createRelationshipRoute, async (c) =>
      c.json(await relate(c.req.valid("param").id, c.req.valid("json"), c.get("services")), 201),
    )
    .openapi(listRelationshipsRoute, async (c) => {
      const { id } = c.req.valid("param");
      const items = await relationshipsOfEntity(id, c.req.valid("query").direction, c.get("services"));
      return c.json({ items }, 200);
    })
    .openapi(deleteRelationshipRoute, async (c) => {
      const { id, relationshipId } = c.req.valid("param");
      await unrelate(id, relationshipId, c.get("services"));
      return c.body(null, 204);
    });
}
