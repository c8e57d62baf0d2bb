import { OpenAPIHono, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { SOCKET_OWNER_HEADER } from "../../durable-objects/capabilities/sockets";
import type { AppEnv, AuthContext } from "../context";
import { guard } from "../middleware/guard";
import type { RoutePolicy } from "../middleware/policy";
import { Problem } from "../problems";
import { pollEvents } from "../services/realtime";
import { readSessionCookie } from "../ui-session";
import { defineRoute } from "./shared";

const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;

const eventSchema = z
  .object({ seq: z.number(), channel: z.string(), type: z.string(), data: z.unknown(), at: z.string() })
  .openapi("RealtimeEvent");

const pollRoute = defineRoute(read, {
  method: "get",
  path: "/poll",
  tags: ["realtime"],
  summary: "Long-poll the tenant's event log: events after `cursor` on `channels`, waiting up to `wait` seconds",
  description:
    "Channels: `ticket:{id}`, `entity:{type}`, `entity:{id}`, `entity:*` (viewer); `call:…`, `project:…` (member); `webhook:…` (admin). Keep the returned cursor for the next call; `gap: true` means events were missed and the client should reload.",
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
  },
});

/**
 * Browsers cannot set headers on a WebSocket handshake, so the credential
 * rides in a subprotocol: `new WebSocket(url, ["apex.v1", "apex.auth." + token])`.
 * It is moved to Authorization for the guard and never logged.
 */
const handshakeCredential = createMiddleware<AppEnv>(async (c, next) => {
  const offered = (c.req.header("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
  const credential = offered.find((p) => p.startsWith("apex.auth."))?.slice("apex.auth.".length);
  const fromCookie = credential ? undefined : sameOriginSessionCookie(c.req.raw);
  const token = credential ?? fromCookie;
  if (token && !c.req.header("authorization")) {
    const headers = new Headers(c.req.raw.headers);
    headers.set("authorization", `Bearer ${token}`);
    c.req.raw = new Request(c.req.raw, { headers });
  }
  await next();
});

/**
 * The web app's own pages carry the session cookie instead. Accepted only
 * from the same origin: a WebSocket handshake is not covered by SameSite the
 * way a fetch is, so a foreign page must not ride the cookie (CSWSH).
 */
function sameOriginSessionCookie(request: Request): string | undefined {
  const origin = request.headers.get("origin");
  const sameOrigin = origin
    ? origin === new URL(request.url).origin
    : request.headers.get("sec-fetch-site") === "same-origin";
  if (!sameOrigin) return undefined;
  return readSessionCookie(request, "access");
}

export function realtimeRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  // Not an OpenAPI operation (a protocol upgrade), but guarded by the same policy object.
  app.get("/", handshakeCredential, guard(read), async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new Problem({
        status: 426,
        code: "upgrade-required",
        title: "Upgrade Required",
        detail: "Open a WebSocket here, or use /api/v1/realtime/poll.",
      });
    }
    const auth = c.get("auth") as AuthContext;
    // Who opens the socket decides what it may subscribe to; set here, so a client cannot claim a role.
    const headers = new Headers(c.req.raw.headers);
    headers.set(
      SOCKET_OWNER_HEADER,
      JSON.stringify({ role: auth.role, userId: auth.userId, sid: auth.method === "jwt" ? auth.sessionId : undefined }),
    );
    return c.env.TENANT.getByName(auth.tenantId).fetch(new Request(c.req.raw, { headers }));
  });
  app.use("/poll", handshakeCredential);
  return app.openapi(pollRoute, async (c) => {
    const query = c.req.valid("query");
    const page = await pollEvents(
      { channels: query.channels, cursor: query.cursor, waitSeconds: query.wait },
      c.get("services"),
    );
    return c.json(page, 200);
  });
}
