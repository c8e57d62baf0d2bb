import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { webhookDeliveryLog } from "../services/webhook-delivery";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookEndpoints,
  SUBSCRIBABLE_EVENTS,
  updateWebhookEndpoint,
} from "../services/webhook-endpoints";
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

const read = { risk: "READ", role: "admin" } satisfies RoutePolicy;
const write = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;

const events = z
  .array(z.enum(SUBSCRIBABLE_EVENTS))
  .min(1)
  .max(SUBSCRIBABLE_EVENTS.length)
  .openapi({ description: "Event types to deliver; `*` is every type" });

const endpointSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string(),
    events: z.array(z.string()),
    enabled: z.boolean(),
    consecutiveFailures: z.number().int(),
    disabledReason: z.string().nullable(),
    secretHint: z.string(),
    signatureScheme: z.enum(["standard", "legacy+standard"]).openapi({
      description:
        "How deliveries are signed: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`); " +
        "`legacy+standard` endpoints, created before it, also get the deprecated `Apex-Signature` for one release",
    }),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WebhookEndpoint");

const createdSchema = endpointSchema
  .extend({
    secret: z.string().openapi({
      description: "Signing secret, `whsec_` + base64 (Standard Webhooks); shown only in this response",
    }),
  })
  .openapi("CreatedWebhookEndpoint");

const deliverySchema = z
  .object({
    id: z.uuid(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(["pending", "succeeded", "failed"]),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        statusCode: z.number().int().nullable(),
        error: z.string().nullable(),
        durationMs: z.number().int(),
        at: z.string(),
      }),
    ),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WebhookDelivery");

const endpointResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: endpointSchema } },
});

const createRouteDef = defineRoute(write, {
  method: "post",
  path: "/",
  tags: ["webhooks"],
  summary: "Register an endpoint; the answer carries its signing secret, once",
  request: {
    headers: idempotencyKeyHeader,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({ url: z.string().max(2000), description: z.string().max(500).optional(), events }).strict(),
        },
      },
    },
  },
  responses: {
    201: { description: "Registered", content: { "application/json": { schema: createdSchema } } },
  },
});

const listRoute = defineRoute(read, {
  method: "get",
  path: "/",
  tags: ["webhooks"],
  summary: "The tenant's endpoints",
  responses: {
    200: {
      description: "Endpoints",
      content: { "application/json": { schema: z.object({ items: z.array(endpointSchema) }) } },
    },
  },
});

const getRoute = defineRoute(read, {
  method: "get",
  path: "/{id}",
  tags: ["webhooks"],
  summary: "One endpoint, with its ETag",
  request: { params: idParam },
  responses: { 200: endpointResponse("The endpoint"), ...notFoundError },
});

const patchRoute = defineRoute(write, {
  method: "patch",
  path: "/{id}",
  tags: ["webhooks"],
  summary: "Change url, description, events, or enable/disable (re-enabling clears the failure count); needs If-Match",
  request: {
    params: idParam,
    headers: ifMatchHeader,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z
            .object({
              url: z.string().max(2000).optional(),
              description: z.string().max(500).optional(),
              events: events.optional(),
              enabled: z.boolean().optional(),
            })
            .strict(),
        },
      },
    },
  },
  responses: { 200: endpointResponse("Updated"), ...notFoundError, ...conflictErrors },
});

const deleteRoute = defineRoute(write, {
  method: "delete",
  path: "/{id}",
  tags: ["webhooks"],
  summary: "Remove an endpoint (nothing more is delivered to it); needs If-Match",
  request: { params: idParam, headers: ifMatchHeader },
  responses: { 204: { description: "Removed" }, ...notFoundError, ...conflictErrors },
});

const deliveriesRoute = defineRoute(read, {
  method: "get",
  path: "/{id}/deliveries",
  tags: ["webhooks"],
  summary: "The delivery log: newest first, every attempt with its status code or error",
  request: {
    params: idParam,
    query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
  },
  responses: {
    200: {
      description: "Deliveries",
      content: { "application/json": { schema: z.object({ items: z.array(deliverySchema) }) } },
    },
    ...notFoundError,
  },
});

export function webhookEndpointRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(createRouteDef, async (c) => {
      const created = await createWebhookEndpoint(c.req.valid("json"), c.get("services"));
      c.header("Location", `/api/v1/webhook-endpoints/${created.id}`);
      c.header("ETag", etag(created.version));
      return c.json(created, 201);
    })
    .openapi(listRoute, async (c) => c.json({ items: await listWebhookEndpoints(c.get("services")) }, 200))
    .openapi(getRoute, async (c) => {
      const endpoint = await getWebhookEndpoint(c.req.valid("param").id, c.get("services"));
      c.header("ETag", etag(endpoint.version));
      return c.json(endpoint, 200);
    })
    .openapi(patchRoute, async (c) => {
      const { id } = c.req.valid("param");
      const endpoint = await updateWebhookEndpoint(id, requiredVersion(c), c.req.valid("json"), c.get("services"));
      c.header("ETag", etag(endpoint.version));
      return c.json(endpoint, 200);
    })
    .openapi(deleteRoute, async (c) => {
      await deleteWebhookEndpoint(c.req.valid("param").id, requiredVersion(c), c.get("services"));
      return c.body(null, 204);
    })
    .openapi(deliveriesRoute, async (c) => {
      const items = await webhookDeliveryLog(c.req.valid("param").id, c.req.valid("query").limit, c.get("services"));
      return c.json({ items }, 200);
    });
}
