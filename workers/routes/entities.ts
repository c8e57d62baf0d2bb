import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../context";
import { BODY_LIMITS } from "../middleware/body-limit";
import type { RoutePolicy } from "../middleware/policy";
import { unarchiveEntity } from "../services/archive";
import {
  createEntity,
  deleteEntity,
  type Entity,
  entitySnapshots,
  getEntity,
  listEntityPage,
  restoreEntity,
  restoreSnapshot,
  updateEntity,
} from "../services/entities";
import { TYPE_NAME } from "../services/entity-types";
import {
  conflictErrors,
  defineRoute,
  etag,
  idempotencyKeyHeader,
  idParam,
  ifMatchHeader,
  notFoundError,
  requiredVersion,
} from "./shared";

const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;
const write = { risk: "WRITE-LOW", role: "member" } satisfies RoutePolicy;
const destroy = { risk: "WRITE-HIGH", role: "member" } satisfies RoutePolicy;

/** A client that sends `system` is told so, by name, rather than silently ignored. */
const systemIsReadOnly = z
  .unknown()
  .refine((value) => value === undefined, { error: "is written by Apex only" })
  .optional()
  .openapi({ description: "Read-only: refused when sent" });

const entitySchema = z
  .object({
    id: z.uuid(),
    projectId: z.uuid(),
    type: z.string(),
    name: z.string(),
    status: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    system: z.record(z.string(), z.unknown()).openapi({
      readOnly: true,
      description: "State Apex writes (a call's timeline and recording, a lead's bridge and score); never writable",
    }),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    deletedAt: z.string().nullable(),
    archivedAt: z.string().nullable(),
  })
  .openapi("Entity");

const entityResponse = (description: string) => ({
  description,
  headers: z.object({ ETag: z.string() }),
  content: { "application/json": { schema: entitySchema } },
});
const createEntityRoute = defineRoute(
  write,
  {
    method: "post",
    path: "/",
    tags: ["entities"],
    summary: "Create an entity of a built-in type",
    request: {
      headers: idempotencyKeyHeader,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.object({
              projectId: z.uuid(),
              type: z.string().regex(TYPE_NAME, "lowercase letters, digits and _").openapi({
                description:
                  "A built-in type (lead, call, message, keyword, page, anchor, campaign) or one of GET /api/v1/entity-types",
              }),
              name: z.string().min(1).max(500),
              status: z.string().min(1).max(50).optional(),
              data: z.record(z.string(), z.unknown()).default({}),
              system: systemIsReadOnly,
            }),
          },
        },
      },
    },
    // A create has no version to match: only the Idempotency-Key's in-flight 409 applies.
    responses: { 201: entityResponse("Created"), 409: conflictErrors[409] },
  },
  { bodyLimit: BODY_LIMITS.entity },
);

const listQuery = z.object({
  type: z.string().optional(),
  projectId: z.uuid().optional(),
  status: z.string().optional(),
  createdAfter: z.iso.datetime({ offset: true }).optional(),
  createdBefore: z.iso.datetime({ offset: true }).optional(),
  source: z.string().max(100).optional().openapi({ description: "Only entities whose data.source is this" }),
  minScore: z.coerce
    .number()
    .int()
    .min(0)
    .max(100)
    .optional()
    .openapi({ description: "Only leads Apex scored at least this (system.score.value)" }),
  deleted: z
    .enum(["exclude", "include", "only"])
    .optional()
    .openapi({ description: "Soft-deleted rows; default exclude" }),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const listEntitiesRoute = defineRoute(read, {
  method: "get",
  path: "/",
  tags: ["entities"],
  summary: "List entities, newest first, with cursor pagination and filters",
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page",
      content: {
        "application/json": {
          schema: z.object({ items: z.array(entitySchema), nextCursor: z.string().nullable() }).openapi("EntityPage"),
        },
      },
    },
  },
});

const getEntityRoute = defineRoute(read, {
  method: "get",
  path: "/{id}",
  tags: ["entities"],
  summary: "Read one entity; its ETag is its version",
  request: { params: idParam },
  responses: { 200: entityResponse("The entity"), ...notFoundError },
});

const patchEntityRoute = defineRoute(
  write,
  {
    method: "patch",
    path: "/{id}",
    tags: ["entities"],
    summary: "Change name, status or data (data is replaced whole); needs If-Match",
    request: {
      params: idParam,
      headers: ifMatchHeader,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z
              .object({
                name: z.string().min(1).max(500).optional(),
                status: z.string().min(1).max(50).nullable().optional(),
                data: z.record(z.string(), z.unknown()).optional(),
                system: systemIsReadOnly,
              })
              .strict(),
          },
        },
      },
    },
    responses: { 200: entityResponse("Updated"), ...notFoundError, ...conflictErrors },
  },
  { bodyLimit: BODY_LIMITS.entity },
);

const deleteEntityRoute = defineRoute(destroy, {
  method: "delete",
  path: "/{id}",
  tags: ["entities"],
  summary: "Soft-delete; needs If-Match. Restore with POST …/restore",
  request: { params: idParam, headers: ifMatchHeader },
  responses: { 200: entityResponse("Deleted (soft)"), ...notFoundError, ...conflictErrors },
});

const restoreEntityRoute = defineRoute(write, {
  method: "post",
  path: "/{id}/restore",
  tags: ["entities"],
  summary: "Undo a soft delete",
  request: { params: idParam, headers: idempotencyKeyHeader },
  responses: { 200: entityResponse("Restored"), ...notFoundError },
});

const snapshotsRoute = defineRoute(read, {
  method: "get",
  path: "/{id}/snapshots",
  tags: ["entities"],
  summary: "The states this entity had before each change, newest first",
  request: { params: idParam },
  responses: {
    200: {
      description: "Snapshots",
      content: {
        "application/json": {
          schema: z.object({
            items: z.array(
              z.object({ version: z.number(), state: z.record(z.string(), z.unknown()), createdAt: z.string() }),
            ),
          }),
        },
      },
    },
    ...notFoundError,
  },
});

const restoreSnapshotRoute = defineRoute(write, {
  method: "post",
  path: "/{id}/snapshots/{version}/restore",
  tags: ["entities"],
  summary: "Make the entity's state equal a snapshot's, as a new version; needs If-Match",
  request: {
    params: idParam.extend({
      version: z.coerce
        .number()
        .int()
        .min(1)
        .openapi({ param: { name: "version", in: "path" } }),
    }),
    headers: ifMatchHeader,
  },
  responses: { 200: entityResponse("Restored to the snapshot"), ...notFoundError, ...conflictErrors },
});

const unarchiveRoute = defineRoute(write, {
  method: "post",
  path: "/{id}/unarchive",
  tags: ["entities"],
  summary: "Bring an entity's data and history back from the cold archive",
  request: { params: idParam, headers: idempotencyKeyHeader },
  responses: { 200: entityResponse("Back from the archive"), ...notFoundError },
});

function withEtag<E extends AppEnv, S extends 200 | 201>(c: Context<E>, entity: Entity, status: S) {
  c.header("ETag", etag(entity.version));
  return c.json(entity, status);
}

export function entityRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(createEntityRoute, async (c) => {
      const entity = await createEntity(c.req.valid("json"), c.get("services"));
      c.header("Location", `/api/v1/entities/${entity.id}`);
      return withEtag(c, entity, 201);
    })
    .openapi(listEntitiesRoute, async (c) => {
      const query = c.req.valid("query");
      const page = await listEntityPage(
        {
          ...query,
          createdAfter: query.createdAfter ? new Date(query.createdAfter) : undefined,
          createdBefore: query.createdBefore ? new Date(query.createdBefore) : undefined,
        },
        c.get("services"),
      );
      return c.json(page, 200);
    })
    .openapi(getEntityRoute, async (c) => withEtag(c, await getEntity(c.req.valid("param").id, c.get("services")), 200))
    .openapi(patchEntityRoute, async (c) => {
      const entity = await updateEntity(
        c.req.valid("param").id,
        requiredVersion(c),
        c.req.valid("json"),
        c.get("services"),
      );
      return withEtag(c, entity, 200);
    })
    .openapi(deleteEntityRoute, async (c) => {
      const entity = await deleteEntity(c.req.valid("param").id, requiredVersion(c), c.get("services"));
      return withEtag(c, entity, 200);
    })
    .openapi(restoreEntityRoute, async (c) =>
      withEtag(c, await restoreEntity(c.req.valid("param").id, c.get("services")), 200),
    )
    .openapi(snapshotsRoute, async (c) =>
      c.json({ items: await entitySnapshots(c.req.valid("param").id, c.get("services")) }, 200),
    )
    .openapi(unarchiveRoute, async (c) => {
      const entity = await unarchiveEntity(c.req.valid("param").id, { ...c.get("services"), archive: c.env.ARCHIVE });
      return withEtag(c, entity, 200);
    })
    .openapi(restoreSnapshotRoute, async (c) => {
      const { id, version } = c.req.valid("param");
      const entity = await restoreSnapshot(id, version, requiredVersion(c), c.get("services"));
      return withEtag(c, entity, 200);
    });
}
