import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { pollEvents } from "../services/realtime";
import type { RoutePolicy } from "./policy";
import { actorOf, guardedErrors } from "./shared";

const read: RoutePolicy = { risk: "READ", role: "viewer" };

const eventSchema = z
  .object({ seq: z.number(), channel: z.string(), type: z.string(), data: z.unknown(), at: z.string() })
  .openapi("RealtimeEvent");

const pollRoute = createRoute({
  method: "get",
  path: "/poll",
  tags: ["realtime"],
  summary: "Long-poll the tenant's event log: events after `cursor` on `channels`, waiting up to `wait` seconds",
  description:
    "Channels: `ticket:{id}`, `entity:{type}`, `entity:{id}`, or `entity:*`. Keep the returned cursor for the next call; `gap: true` means events were missed and the client should reload.",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  request: {
    query: z.object({
      channels: z.string().min(1).max(2000),
      cursor: z.coerce.number().int().min(0).default(0),
      wait: z.coerce.number().int().min(0).max(25).default(0),
    }),
  },
  responses: {
    200: {
      description: "Events in order",
      content: {
        "application/json": {
          schema: z.object({ events: z.array(eventSchema), cursor: z.number(), gap: z.boolean() }),
        },
      },
    },
    ...guardedErrors,
  },
});

export function realtimeRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(pollRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await pollEvents(
      { channels: query.channels, cursor: query.cursor, waitSeconds: query.wait },
      { env: c.env, actor: actorOf(c) },
    );
    return c.json(page, 200);
  });
}
