import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { newApiKeyInput, roleSchema as role } from "../auth/inputs";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { idempotency } from "../middleware/idempotency";
import { apiKeyList, createApiKey, revokeKey } from "../services/api-keys";
import type { RoutePolicy } from "./policy";
import { actorOf, guardedErrors, idempotencyKeyHeader, notFoundError } from "./shared";

const manage: RoutePolicy = { risk: "WRITE-HIGH", role: "admin" };
const list: RoutePolicy = { risk: "READ", role: "admin" };

const apiKeySummary = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The key's first characters, to tell keys apart" }),
    role,
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi("ApiKey");

const createKeyRoute = createRoute({
  method: "post",
  path: "/",
  tags: ["api keys"],
  summary: "Create an API key; the key is in this response only",
  "x-apex-policy": manage,
  middleware: [guard(manage), idempotency] as const,
  request: {
    headers: idempotencyKeyHeader,
    body: {
      required: true,
      content: {
        "application/json": { schema: newApiKeyInput },
      },
    },
  },
  responses: {
    201: {
      description: "Created",
      content: { "application/json": { schema: apiKeySummary.extend({ key: z.string() }).openapi("NewApiKey") } },
    },
    ...guardedErrors,
  },
});

const listKeysRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["api keys"],
  summary: "List API keys (never the keys themselves)",
  "x-apex-policy": list,
  middleware: [guard(list)] as const,
  responses: {
    200: {
      description: "Keys",
      content: { "application/json": { schema: z.object({ items: z.array(apiKeySummary) }) } },
    },
    ...guardedErrors,
  },
});

const revokeKeyRoute = createRoute({
  method: "delete",
  path: "/{id}",
  tags: ["api keys"],
  summary: "Revoke an API key at once",
  "x-apex-policy": manage,
  middleware: [guard(manage)] as const,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 204: { description: "Revoked" }, ...guardedErrors, ...notFoundError },
});

export function apiKeyRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(createKeyRoute, async (c) =>
      c.json(await createApiKey(c.req.valid("json"), { db: c.var.db(), actor: actorOf(c) }), 201),
    )
    .openapi(listKeysRoute, async (c) =>
      c.json({ items: await apiKeyList({ db: c.var.db(), actor: actorOf(c) }) }, 200),
    )
    .openapi(revokeKeyRoute, async (c) => {
      await revokeKey(c.req.valid("param").id, { db: c.var.db(), actor: actorOf(c) });
      return c.body(null, 204);
    });
}
