import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { auditPage } from "../services/audit";
import { defineRoute } from "./shared";

const readAudit = { risk: "READ", role: "admin" } satisfies RoutePolicy;

const auditEntry = z
  .object({
    id: z.number(),
    action: z.string(),
    actorType: z.string(),
    actorId: z.string().nullable(),
    requestId: z.string(),
    entityType: z.string().nullable(),
    entityId: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    ip: z.string().nullable(),
    verification: z.object({
      method: z.string(),
      kid: z.string().nullable(),
      issuer: z.string().nullable(),
      verifiedAt: z.string().nullable(),
    }),
    createdAt: z.string(),
  })
  .openapi("AuditEntry");

const listAuditRoute = defineRoute(readAudit, {
  method: "get",
  path: "/",
  tags: ["audit"],
  summary: "The tenant's audit log, newest first",
  request: {
    query: z.object({
      entityId: z.uuid().optional(),
      entityType: z.string().max(50).optional(),
      action: z.string().max(100).optional(),
      actorId: z.string().max(100).optional(),
      since: z.iso.datetime({ offset: true }).optional(),
      until: z.iso.datetime({ offset: true }).optional(),
      cursor: z.string().max(30).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: {
    200: {
      description: "A page",
      content: {
        "application/json": { schema: z.object({ items: z.array(auditEntry), nextCursor: z.string().nullable() }) },
      },
    },
  },
});

export function auditRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(listAuditRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await auditPage(
      {
        ...query,
        since: query.since ? new Date(query.since) : undefined,
        until: query.until ? new Date(query.until) : undefined,
      },
      c.get("services"),
    );
    return c.json(page, 200);
  });
}
