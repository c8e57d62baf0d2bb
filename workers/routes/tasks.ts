import { OpenAPIHono, z } from "@hono/zod-openapi";
import { startTask } from "../agents/start-task";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { anonymousContextFrom } from "../service-context";
import { cancelTicket, exportFile, exportFileByLink, getTicket, listTickets, retryTicket } from "../services/tasks";
import { defineRoute, guardedErrors, idempotencyKeyHeader, idParam, notFoundError, spendCapError } from "./shared";

const run = { risk: "WRITE-LOW", role: "viewer" } satisfies RoutePolicy;
const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;
const cancel = { risk: "WRITE-LOW", role: "member" } satisfies RoutePolicy;

const ticketSchema = z
  .object({
    id: z.string(),
    task: z.string(),
    status: z.enum(["queued", "processing", "completed", "failed", "cancelled"]),
    progress: z.number(),
    message: z.string(),
    result: z.unknown(),
    error: z.string().nullable(),
    attempts: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
    expiresAt: z.string(),
  })
  .openapi("Ticket");

const startTaskRoute = defineRoute(run, {
  method: "post",
  path: "/tasks/{task}",
  tags: ["tasks"],
  summary: "Run a task: instant ones answer 200 with the result, heavy ones 202 with a ticket",
  description: "Each task also requires its own least role (health_check: viewer, entity_export: admin).",
  request: {
    params: z.object({
      task: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,49}$/)
        .openapi({ param: { name: "task", in: "path" } }),
    }),
    headers: idempotencyKeyHeader,
    body: {
      required: false,
      content: { "application/json": { schema: z.object({ params: z.record(z.string(), z.unknown()).optional() }) } },
    },
  },
  responses: {
    200: {
      description: "Instant result",
      content: { "application/json": { schema: z.object({ result: z.unknown() }) } },
    },
    202: { description: "Accepted; follow the ticket", content: { "application/json": { schema: ticketSchema } } },
    ...notFoundError,
    ...spendCapError,
  },
});

const getTicketRoute = defineRoute(read, {
  method: "get",
  path: "/tickets/{id}",
  tags: ["tasks"],
  summary: "A ticket's status, progress, result or error",
  request: { params: idParam },
  responses: {
    200: { description: "The ticket", content: { "application/json": { schema: ticketSchema } } },
    ...notFoundError,
  },
});

const listTicketsRoute = defineRoute(read, {
  method: "get",
  path: "/tickets",
  tags: ["tasks"],
  summary: "Recent tickets, newest first",
  request: {
    query: z.object({ status: z.enum(["queued", "processing", "completed", "failed", "cancelled"]).optional() }),
  },
  responses: {
    200: {
      description: "Tickets",
      content: { "application/json": { schema: z.object({ items: z.array(ticketSchema) }) } },
    },
  },
});

const cancelTicketRoute = defineRoute(
  cancel,
  {
    method: "post",
    path: "/tickets/{id}/cancel",
    tags: ["tasks"],
    summary: "Cancel a queued or running ticket (a running agent finishes its current step)",
    request: { params: idParam },
    responses: {
      200: { description: "The ticket", content: { "application/json": { schema: ticketSchema } } },
      ...notFoundError,
    },
  },
  { naturallyIdempotent: "cancelling a cancelled ticket changes nothing" },
);

const retryTicketRoute = defineRoute(
  cancel,
  {
    method: "post",
    path: "/tickets/{id}/retry",
    tags: ["tasks"],
    summary: "Run a failed ticket again",
    request: { params: idParam },
    responses: {
      200: { description: "Queued again", content: { "application/json": { schema: ticketSchema } } },
      409: { description: "The ticket is not failed" },
      ...notFoundError,
    },
  },
  { naturallyIdempotent: "only a failed ticket can be retried: a repeat while it runs answers 409" },
);

const downloadRoute = defineRoute(
  { risk: "READ", role: "admin" },
  {
    method: "get",
    path: "/tickets/{id}/download",
    tags: ["tasks"],
    summary: "The NDJSON file of a finished entity_export ticket",
    request: { params: idParam },
    responses: {
      200: { description: "NDJSON", content: { "application/x-ndjson": { schema: z.string() } } },
      ...notFoundError,
    },
  },
);

const downloadByLinkPolicy = { risk: "READ", role: "public", limitByIp: true } satisfies RoutePolicy;
const downloadByLinkRoute = defineRoute(downloadByLinkPolicy, {
  method: "get",
  path: "/downloads/exports/{id}",
  tags: ["tasks"],
  summary: "An export's NDJSON through the signed link in its ticket's result (no Authorization needed)",
  request: {
    params: idParam,
    query: z.object({ token: z.string().min(1).openapi({ description: "From the ticket's result.downloadUrl" }) }),
  },
  responses: {
    200: { description: "NDJSON", content: { "application/x-ndjson": { schema: z.string() } } },
    401: guardedErrors[401],
    422: guardedErrors[422],
    429: guardedErrors[429],
    ...notFoundError,
  },
});

export function taskRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(startTaskRoute, async (c) => {
      const context = { ...c.get("services"), waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p) };
      const body = c.req.header("content-type")?.includes("json") ? c.req.valid("json") : {};
      const outcome = await startTask(c.req.valid("param").task, body.params, context);
      if (outcome.kind === "instant") return c.json({ result: outcome.result }, 200);
      c.header("Location", `/api/v1/tickets/${outcome.ticket.id}`);
      return c.json(outcome.ticket, 202);
    })
    .openapi(getTicketRoute, async (c) => c.json(await getTicket(c.req.valid("param").id, c.get("services")), 200))
    .openapi(listTicketsRoute, async (c) =>
      c.json({ items: await listTickets(c.req.valid("query").status, c.get("services")) }, 200),
    )
    .openapi(cancelTicketRoute, async (c) =>
      c.json(await cancelTicket(c.req.valid("param").id, c.get("services")), 200),
    )
    .openapi(retryTicketRoute, async (c) => c.json(await retryTicket(c.req.valid("param").id, c.get("services")), 200))
    .openapi(downloadRoute, async (c) => {
      const file = await exportFile(c.req.valid("param").id, c.get("services"));
      // A stream, not JSON: the typed-response helper cannot describe it, hence the cast.
      return c.body(file.body, 200, { "Content-Type": "application/x-ndjson" }) as never;
    })
    .openapi(downloadByLinkRoute, async (c) => {
      const { id } = c.req.valid("param");
      const file = await exportFileByLink(id, c.req.valid("query").token, anonymousContextFrom(c));
      return c.body(file.body, 200, {
        "Content-Type": "application/x-ndjson",
        "Content-Disposition": `attachment; filename="export-${c.req.valid("param").id}.ndjson"`,
        "Cache-Control": "private, no-store",
      }) as never;
    });
}
