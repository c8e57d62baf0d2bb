import { OpenAPIHono, z } from "@hono/zod-openapi";
import { acceptInvitationInput, loginInput, refreshTokenInput, roleSchema, signupInput } from "../auth/inputs";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { anonymousContextFrom } from "../service-context";
import { login, logout, refresh, signup } from "../services/identity";
import { acceptInvitation } from "../services/members";
import { defineRoute, guardedErrors } from "./shared";

const credentialsPolicy = { risk: "WRITE-HIGH", role: "public", limitByIp: true } satisfies RoutePolicy;

const tokenPair = z
  .object({
    accessToken: z.string(),
    tokenType: z.literal("Bearer"),
    expiresIn: z.number().openapi({ description: "Seconds until the access token expires" }),
    refreshToken: z.string().openapi({ description: "Opaque; rotates on every refresh" }),
    tenantId: z.uuid(),
    userId: z.uuid(),
    role: roleSchema,
  })
  .openapi("TokenPair");

const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } }, required: true });

const signupRoute = defineRoute(credentialsPolicy, {
  method: "post",
  path: "/signup",
  tags: ["auth"],
  summary: "Create a tenant, its first project and the owner user",
  request: {
    body: json(signupInput),
  },
  responses: {
    201: {
      description: "Signed up and logged in",
      content: { "application/json": { schema: tokenPair.extend({ projectId: z.uuid() }) } },
    },
    409: { description: "Email already registered" },
    ...guardedErrors,
  },
});

const loginRoute = defineRoute(credentialsPolicy, {
  method: "post",
  path: "/login",
  tags: ["auth"],
  summary: "Exchange email and password for tokens",
  request: {
    body: json(loginInput),
  },
  responses: {
    200: { description: "Logged in", content: { "application/json": { schema: tokenPair } } },
    ...guardedErrors,
  },
});

const refreshBody = z.object({ refreshToken: refreshTokenInput });

const refreshRoute = defineRoute(credentialsPolicy, {
  method: "post",
  path: "/refresh",
  tags: ["auth"],
  summary: "Rotate a refresh token; reuse of a rotated token revokes its family",
  request: { body: json(refreshBody) },
  responses: {
    200: { description: "New tokens", content: { "application/json": { schema: tokenPair } } },
    ...guardedErrors,
  },
});

const logoutRoute = defineRoute(credentialsPolicy, {
  method: "post",
  path: "/logout",
  tags: ["auth"],
  summary: "Revoke a refresh token and its family",
  request: { body: json(refreshBody) },
  responses: { 204: { description: "Logged out (also when the token was unknown)" }, ...guardedErrors },
});

const acceptInvitationRoute = defineRoute(credentialsPolicy, {
  method: "post",
  path: "/accept-invitation",
  tags: ["auth"],
  summary: "Join a tenant with an invitation token (new account, or your existing one's password)",
  request: {
    body: json(acceptInvitationInput),
  },
  responses: {
    200: { description: "Joined and logged in", content: { "application/json": { schema: tokenPair } } },
    409: { description: "Already a member" },
    ...guardedErrors,
  },
});

export function authRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(signupRoute, async (c) => c.json(await signup(c.req.valid("json"), anonymousContextFrom(c)), 201))
    .openapi(loginRoute, async (c) => c.json(await login(c.req.valid("json"), anonymousContextFrom(c)), 200))
    .openapi(refreshRoute, async (c) =>
      c.json(await refresh(c.req.valid("json").refreshToken, anonymousContextFrom(c)), 200),
    )
    .openapi(acceptInvitationRoute, async (c) =>
      c.json(await acceptInvitation(c.req.valid("json"), anonymousContextFrom(c)), 200),
    )
    .openapi(logoutRoute, async (c) => {
      await logout(c.req.valid("json").refreshToken, anonymousContextFrom(c));
      return c.body(null, 204);
    });
}
