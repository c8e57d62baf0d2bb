import { OpenAPIHono, z } from "@hono/zod-openapi";
import { newApiKeyInput, roleSchema as role } from "../auth/inputs";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { apiKeyList, createApiKey, revokeKey } from "../services/api-keys";
import { defineRoute, idempotencyKeyHeader, notFoundError } from "./shared";

const manage = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;
const list = { risk: "READ", role: "admin" } satisfies RoutePolicy;

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

const createKeyRoute = defineRoute(manage, {
  method: "post",
  path: "/",
  tags: ["api keys"],
  summary: "Create an API key; the key is in this response only",
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
  },
});

const listKeysRoute = defineRoute(list, {
  method: "get",
  path: "/",
  tags: ["api keys"],
  summary: "List API keys (never the keys themselves)",
  responses: {
    200: {
      description: "Keys",
      content: { "application/json": { schema: z.object({ items: z.array(apiKeySummary) }) } },
    },
  },
});

const revokeKeyRoute = defineRoute(
  manage,
  {
    method: "delete",
    path: "/{id}",
    tags: ["api keys"],
    summary: "Revoke an API key at once",
    request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
    responses: { 204: { description: "Revoked" }, ...notFoundError },
  },
  { naturallyIdempotent: "revoking a revoked key changes nothing (a repeat answers 404)" },
);

export function apiKeyRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(createKeyRoute, async (c) => c.json(await createApiKey(c.req.valid("json"), c.get("services")), 201))
    .openapi(listKeysRoute, async (c) => c.json({ items: await apiKeyList(c.get("services")) }, 200))
    .openapi(revokeKeyRoute, async (c) => {
      await revokeKey(c.req.valid("param").id, c.get("services"));
      return c.body(null, 204);
    });
}
