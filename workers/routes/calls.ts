import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { idempotency } from "../middleware/idempotency";
import { textLead } from "../speed-to-lead/messages";
import { callRecording } from "../speed-to-lead/recordings";
import type { RoutePolicy } from "./policy";
import { actorOf, guardedErrors, idempotencyKeyHeader, idParam, notFoundError } from "./shared";

const listen: RoutePolicy = { risk: "READ", role: "member" };
const text: RoutePolicy = { risk: "WRITE-HIGH", role: "member" };

const recordingRoute = createRoute({
  method: "get",
  path: "/calls/{id}/recording",
  tags: ["voice"],
  summary: "A call's recording (WAV), copied from Twilio into R2",
  "x-apex-policy": listen,
  middleware: [guard(listen)] as const,
  request: { params: idParam },
  responses: {
    200: { description: "Audio", content: { "audio/wav": { schema: z.string() } } },
    ...guardedErrors,
    ...notFoundError,
  },
});

const textRoute = createRoute({
  method: "post",
  path: "/leads/{id}/sms",
  tags: ["voice"],
  summary: "Text a lead from the project's number (refused for opted-out numbers)",
  "x-apex-policy": text,
  middleware: [guard(text), idempotency] as const,
  request: {
    params: idParam,
    headers: idempotencyKeyHeader,
    body: {
      required: true,
      content: { "application/json": { schema: z.object({ body: z.string().min(1).max(1_600) }).strict() } },
    },
  },
  responses: {
    200: {
      description: "Sent",
      content: { "application/json": { schema: z.object({ sent: z.boolean(), sid: z.string().optional() }) } },
    },
    ...guardedErrors,
    ...notFoundError,
  },
});

export function callRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(recordingRoute, async (c) => {
      const object = await callRecording(c.req.valid("param").id, { env: c.env, db: c.var.db(), actor: actorOf(c) });
      // A stream, not JSON: the typed-response helper cannot describe it, hence the cast.
      return c.body(object.body, 200, { "Content-Type": object.httpMetadata?.contentType ?? "audio/wav" }) as never;
    })
    .openapi(textRoute, async (c) => {
      const sent = await textLead(c.req.valid("param").id, c.req.valid("json").body, {
        env: c.env,
        db: c.var.db(),
        actor: actorOf(c),
      });
      return c.json({ sent: sent.sent, ...(sent.sid ? { sid: sent.sid } : {}) }, 200);
    });
}
