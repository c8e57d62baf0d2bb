import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { idempotency } from "../middleware/idempotency";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookEndpoints,
  SUBSCRIBABLE_EVENTS,
  updateWebhookEndpoint,
  webhookDeliveryLog,
} from "../services/webhooks";
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

const read: RoutePolicy = { risk: "READ", role: "admin" };
const write: RoutePolicy = { risk: "WRITE-HIGH", role: "admin" };

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
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WebhookEndpoint");

const createdSchema = endpointSchema
  .extend({ secret: z.string().openapi({ description: "Signing secret; shown only in this response" }) })
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

const createRouteDef = createRoute({
  method: "post",
  path: "/",
  tags: ["webhooks"],
  summary: "Register an endpoint; the answer carries its signing secret, once",
  "x-apex-policy": write,
  middleware: [guard(write), idempotency] as const,
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
    ...guardedErrors,
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["webhooks"],
  summary: "The tenant's endpoints",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  responses: {
    200: {
      description: "Endpoints",
      content: { "application/json": { schema: z.object({ items: z.array(endpointSchema) }) } },
    },
    ...guardedErrors,
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/{id}",
  tags: ["webhooks"],
  summary: "One endpoint, with its ETag",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  request: { params: idParam },
  responses: { 200: endpointResponse("The endpoint"), ...guardedErrors, ...notFoundError },
});

const patchRoute = createRoute({
  method: "patch",
  path: "/{id}",
  tags: ["webhooks"],
  summary: "Change url, description, events, or enable/disable (re-enabling clears the failure count); needs If-Match",
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
  responses: { 200: endpointResponse("Updated"), ...guardedErrors, ...notFoundError, ...conflictErrors },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/{id}",
  tags: ["webhooks"],
  summary: "Remove an endpoint (nothing more is delivered to it); needs If-Match",
  "x-apex-policy": write,
  middleware: [guard(write), idempotency] as const,
  request: { params: idParam, headers: ifMatchHeader },
  responses: { 204: { description: "Removed" }, ...guardedErrors, ...notFoundError, ...conflictErrors },
});

const deliveriesRoute = createRoute({
  method: "get",
  path: "/{id}/deliveries",
  tags: ["webhooks"],
  summary: "The delivery log: newest first, every attempt with its status code or error",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  request: {
    params: idParam,
    query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
  },
  responses: {
    200: {
      description: "Deliveries",
      content: { "application/json": { schema: z.object({ items: z.array(deliverySchema) }) } },
    },
    ...guardedErrors,
    ...notFoundError,
  },
});

export function webhookEndpointRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(createRouteDef, async (c) => {
      const created = await createWebhookEndpoint(c.req.valid("json"), {
        env: c.env,
        db: c.var.db(),
        actor: actorOf(c),
      });
      c.header("Location", `/api/v1/webhook-endpoints/${created.id}`);
      c.header("ETag", etag(created.version));
      return c.json(created, 201);
    })
    .openapi(listRoute, async (c) =>
      c.json({ items: await listWebhookEndpoints({ db: c.var.db(), actor: actorOf(c) }) }, 200),
    )
    .openapi(getRoute, async (c) => {
      const endpoint = await getWebhookEndpoint(c.req.valid("param").id, { db: c.var.db(), actor: actorOf(c) });
      c.header("ETag", etag(endpoint.version));
      return c.json(endpoint, 200);
    })
    .openapi(patchRoute, async (c) => {
      const endpoint = await updateWebhookEndpoint(c.req.valid("param").id, requiredVersion(c), c.req.valid("json"), {
        env: c.env,
        db: c.var.db(),
        actor: actorOf(c),
      });
      c.header("ETag", etag(endpoint.version));
      return c.json(endpoint, 200);
    })
    .openapi(deleteRoute, async (c) => {
      await deleteWebhookEndpoint(c.req.valid("param").id, requiredVersion(c), {
        env: c.env,
        db: c.var.db(),
        actor: actorOf(c),
      });
      return c.body(null, 204);
    })
    .openapi(deliveriesRoute, async (c) =>
      c.json(
        {
          items: await webhookDeliveryLog(c.req.valid("param").id, c.req.valid("query").limit, {
            db: c.var.db(),
            actor: actorOf(c),
          }),
        },
        200,
      ),
    );
}
