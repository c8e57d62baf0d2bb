import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { idempotency } from "../middleware/idempotency";
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
import { publisherFor } from "../services/realtime";
import type { RoutePolicy } from "./policy";
import {
  actorOf,
  conflictErrors,
  etag,
  guardedErrors,
  idempotencyKeyHeader,
  idParam,
  ifMatchHeader,
  notFoundError,
  requiredVersion,
} from "./shared";

const read: RoutePolicy = { risk: "READ", role: "viewer" };
const write: RoutePolicy = { risk: "WRITE-LOW", role: "member" };
const destroy: RoutePolicy = { risk: "WRITE-HIGH", role: "member" };

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
const createEntityRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["entities"],
  summary: "Create an entity of a built-in type",
  "x-apex-policy": write,
  middleware: [guard(write), idempotency] as const,
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
  responses: { 201: entityResponse("Created"), ...guardedErrors, ...conflictErrors },
});

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

const listEntitiesRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["entities"],
  summary: "List entities, newest first, with cursor pagination and filters",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
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
    ...guardedErrors,
  },
});

const getEntityRoute = createRoute({
  method: "get",
  path: "/{id}",
  tags: ["entities"],
  summary: "Read one entity; its ETag is its version",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  request: { params: idParam },
  responses: { 200: entityResponse("The entity"), ...guardedErrors, ...notFoundError },
});

const patchEntityRoute = createRoute({
  method: "patch",
  path: "/{id}",
  tags: ["entities"],
  summary: "Change name, status or data (data is replaced whole); needs If-Match",
  "x-apex-policy": write,
  middleware: [guard(write), idempotency] as const,
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
  responses: { 200: entityResponse("Updated"), ...guardedErrors, ...notFoundError, ...conflictErrors },
});

const deleteEntityRoute = createRoute({
  method: "delete",
  path: "/{id}",
  tags: ["entities"],
  summary: "Soft-delete; needs If-Match. Restore with POST …/restore",
  "x-apex-policy": destroy,
  middleware: [guard(destroy), idempotency] as const,
  request: { params: idParam, headers: ifMatchHeader },
  responses: { 200: entityResponse("Deleted (soft)"), ...guardedErrors, ...notFoundError, ...conflictErrors },
});

const restoreEntityRoute = createRoute({
  method: "post",
  path: "/{id}/restore",
  tags: ["entities"],
  summary: "Undo a soft delete",
  "x-apex-policy": write,
  middleware: [guard(write), idempotency] as const,
  request: { params: idParam, headers: idempotencyKeyHeader },
  responses: { 200: entityResponse("Restored"), ...guardedErrors, ...notFoundError },
});

const snapshotsRoute = createRoute({
  method: "get",
  path: "/{id}/snapshots",
  tags: ["entities"],
  summary: "The states this entity had before each change, newest first",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
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
    ...guardedErrors,
    ...notFoundError,
  },
});

const restoreSnapshotRoute = createRoute({
  method: "post",
  path: "/{id}/snapshots/{version}/restore",
  tags: ["entities"],
  summary: "Make the entity's state equal a snapshot's, as a new version; needs If-Match",
  "x-apex-policy": write,
  middleware: [guard(write), idempotency] as const,
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
  responses: { 200: entityResponse("Restored to the snapshot"), ...guardedErrors, ...notFoundError, ...conflictErrors },
});

const unarchiveRoute = createRoute({
  method: "post",
  path: "/{id}/unarchive",
  tags: ["entities"],
  summary: "Bring an entity's data and history back from the cold archive",
  "x-apex-policy": write,
  middleware: [guard(write), idempotency] as const,
  request: { params: idParam, headers: idempotencyKeyHeader },
  responses: { 200: entityResponse("Back from the archive"), ...guardedErrors, ...notFoundError },
});

/** What entity services need from a request: its database, its actor, and where to announce changes. */
function entityContext(c: Context<AppEnv>) {
  const actor = actorOf(c);
  return {
    db: c.var.db(),
    actor,
    publish: publisherFor(c.env, actor.auth.tenantId),
    idempotency: c.get("idempotency"),
  };
}

function withEtag<S extends 200 | 201>(c: Context<AppEnv>, entity: Entity, status: S) {
  c.header("ETag", etag(entity.version));
  return c.json(entity, status);
}

export function entityRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(createEntityRoute, async (c) => {
      const entity = await createEntity(c.req.valid("json"), entityContext(c));
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
        entityContext(c),
      );
      return c.json(page, 200);
    })
    .openapi(getEntityRoute, async (c) => withEtag(c, await getEntity(c.req.valid("param").id, entityContext(c)), 200))
    .openapi(patchEntityRoute, async (c) => {
      const entity = await updateEntity(
        c.req.valid("param").id,
        requiredVersion(c),
        c.req.valid("json"),
        entityContext(c),
      );
      return withEtag(c, entity, 200);
    })
    .openapi(deleteEntityRoute, async (c) => {
      const entity = await deleteEntity(c.req.valid("param").id, requiredVersion(c), entityContext(c));
      return withEtag(c, entity, 200);
    })
    .openapi(restoreEntityRoute, async (c) =>
      withEtag(c, await restoreEntity(c.req.valid("param").id, entityContext(c)), 200),
    )
    .openapi(snapshotsRoute, async (c) =>
      c.json({ items: await entitySnapshots(c.req.valid("param").id, entityContext(c)) }, 200),
    )
    .openapi(unarchiveRoute, async (c) => {
      const entity = await unarchiveEntity(c.req.valid("param").id, {
        db: c.var.db(),
        archive: c.env.ARCHIVE,
        actor: actorOf(c),
      });
      return withEtag(c, entity, 200);
    })
    .openapi(restoreSnapshotRoute, async (c) => {
      const { id, version } = c.req.valid("param");
      const entity = await restoreSnapshot(id, version, requiredVersion(c), entityContext(c));
      return withEtag(c, entity, 200);
    });
}
