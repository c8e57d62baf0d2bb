import { OpenAPIHono, z } from "@hono/zod-openapi";
import { invitationInput, roleSchema as role } from "../auth/inputs";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { changeMemberRole, invite, members, removeMember } from "../services/members";
import { defineRoute, idempotencyKeyHeader, notFoundError } from "./shared";

const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;
const manage = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;
const userParam = z.object({ userId: z.uuid().openapi({ param: { name: "userId", in: "path" } }) });

const memberSchema = z
  .object({ userId: z.uuid(), email: z.string(), name: z.string(), role, since: z.string() })
  .openapi("Member");

const listRoute = defineRoute(read, {
  method: "get",
  path: "/members",
  tags: ["members"],
  summary: "The tenant's members and their roles",
  responses: {
    200: {
      description: "Members",
      content: { "application/json": { schema: z.object({ items: z.array(memberSchema) }) } },
    },
  },
});

const changeRoleRoute = defineRoute(
  manage,
  {
    method: "patch",
    path: "/members/{userId}",
    tags: ["members"],
    summary: "Change a member's role (never above your own; a tenant keeps one owner)",
    request: {
      params: userParam,
      body: { required: true, content: { "application/json": { schema: z.object({ role }).strict() } } },
    },
    responses: {
      200: {
        description: "Changed",
        content: { "application/json": { schema: z.object({ userId: z.uuid(), role }) } },
      },
      409: { description: "Would leave the tenant without an owner" },
      ...notFoundError,
    },
  },
  { naturallyIdempotent: "setting a member's role to the role they have changes nothing" },
);

const removeRoute = defineRoute(
  manage,
  {
    method: "delete",
    path: "/members/{userId}",
    tags: ["members"],
    summary: "Remove a member from the tenant",
    request: { params: userParam },
    responses: { 204: { description: "Removed" }, ...notFoundError },
  },
  { naturallyIdempotent: "removing a removed member changes nothing (a repeat answers 404)" },
);

const inviteRoute = defineRoute(manage, {
  method: "post",
  path: "/invitations",
  tags: ["members"],
  summary: "Invite someone by email with a role; the token is in this answer only",
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
  },
});

export function memberRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(listRoute, async (c) => c.json({ items: await members(c.get("services")) }, 200))
    .openapi(changeRoleRoute, async (c) =>
      c.json(await changeMemberRole(c.req.valid("param").userId, c.req.valid("json").role, c.get("services")), 200),
    )
    .openapi(removeRoute, async (c) => {
      await removeMember(c.req.valid("param").userId, c.get("services"));
      return c.body(null, 204);
    })
    .openapi(inviteRoute, async (c) => c.json(await invite(c.req.valid("json"), c.get("services")), 201));
}
