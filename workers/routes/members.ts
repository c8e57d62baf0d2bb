import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { invitationInput, roleSchema as role } from "../auth/inputs";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { idempotency } from "../middleware/idempotency";
import { changeMemberRole, invite, members, removeMember } from "../services/members";
import type { RoutePolicy } from "./policy";
import { actorOf, guardedErrors, idempotencyKeyHeader, notFoundError } from "./shared";

const read: RoutePolicy = { risk: "READ", role: "viewer" };
const manage: RoutePolicy = { risk: "WRITE-HIGH", role: "admin" };
const userParam = z.object({ userId: z.uuid().openapi({ param: { name: "userId", in: "path" } }) });

const memberSchema = z
  .object({ userId: z.uuid(), email: z.string(), name: z.string(), role, since: z.string() })
  .openapi("Member");

const listRoute = createRoute({
  method: "get",
  path: "/members",
  tags: ["members"],
  summary: "The tenant's members and their roles",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  responses: {
    200: {
      description: "Members",
      content: { "application/json": { schema: z.object({ items: z.array(memberSchema) }) } },
    },
    ...guardedErrors,
  },
});

const changeRoleRoute = createRoute({
  method: "patch",
  path: "/members/{userId}",
  tags: ["members"],
  summary: "Change a member's role (never above your own; a tenant keeps one owner)",
  "x-apex-policy": manage,
  middleware: [guard(manage)] as const,
  request: {
    params: userParam,
    body: { required: true, content: { "application/json": { schema: z.object({ role }).strict() } } },
  },
  responses: {
    200: { description: "Changed", content: { "application/json": { schema: z.object({ userId: z.uuid(), role }) } } },
    409: { description: "Would leave the tenant without an owner" },
    ...guardedErrors,
    ...notFoundError,
  },
});

const removeRoute = createRoute({
  method: "delete",
  path: "/members/{userId}",
  tags: ["members"],
  summary: "Remove a member from the tenant",
  "x-apex-policy": manage,
  middleware: [guard(manage)] as const,
  request: { params: userParam },
  responses: { 204: { description: "Removed" }, ...guardedErrors, ...notFoundError },
});

const inviteRoute = createRoute({
  method: "post",
  path: "/invitations",
  tags: ["members"],
  summary: "Invite someone by email with a role; the token is in this answer only",
  "x-apex-policy": manage,
  middleware: [guard(manage), idempotency] as const,
  request: {
    headers: idempotencyKeyHeader,
    body: { required: true, content: { "application/json": { schema: invitationInput } } },
  },
  responses: {
    201: {
      description: "Invited",
      content: {
        "application/json": {
          schema: z.object({ id: z.uuid(), email: z.string(), role, expiresAt: z.string(), token: z.string() }),
        },
      },
    },
    ...guardedErrors,
  },
});

export function memberRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(listRoute, async (c) => c.json({ items: await members({ db: c.var.db(), actor: actorOf(c) }) }, 200))
    .openapi(changeRoleRoute, async (c) =>
      c.json(
        await changeMemberRole(c.req.valid("param").userId, c.req.valid("json").role, {
          env: c.env,
          db: c.var.db(),
          actor: actorOf(c),
        }),
        200,
      ),
    )
    .openapi(removeRoute, async (c) => {
      await removeMember(c.req.valid("param").userId, { env: c.env, db: c.var.db(), actor: actorOf(c) });
      return c.body(null, 204);
    })
    .openapi(inviteRoute, async (c) =>
      c.json(await invite(c.req.valid("json"), { db: c.var.db(), actor: actorOf(c) }), 201),
    );
}
