import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { textLead } from "../speed-to-lead/messages";
import { callRecording } from "../speed-to-lead/recordings";
import {
  defineRoute,
  idempotencyKeyHeader,
  idParam,
  notConfiguredError,
  notFoundError,
  problem,
  spendCapError,
} from "./shared";

const listen = { risk: "READ", role: "member" } satisfies RoutePolicy;
const text = { risk: "WRITE-HIGH", role: "member" } satisfies RoutePolicy;

const recordingRoute = defineRoute(listen, {
  method: "get",
  path: "/calls/{id}/recording",
  tags: ["voice"],
  summary: "A call's recording (WAV), copied from Twilio into R2",
  request: { params: idParam },
  responses: {
    200: { description: "Audio", content: { "audio/wav": { schema: z.string() } } },
    ...notFoundError,
  },
});

const textRoute = defineRoute(text, {
  method: "post",
  path: "/leads/{id}/sms",
  tags: ["voice"],
  summary: "Text a lead from the project's number (refused for opted-out numbers)",
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
    ...notFoundError,
    ...spendCapError,
    ...notConfiguredError,
    409: problem(
      "The contact policy refused the text (`opted-out`, `no-consent`; decision 019), or the Idempotency-Key is in flight",
    ),
  },
});

export function callRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(recordingRoute, async (c) => {
      const object = await callRecording(c.req.valid("param").id, c.get("services"));
      // A stream, not JSON: the typed-response helper cannot describe it, hence the cast.
      return c.body(object.body, 200, { "Content-Type": object.httpMetadata?.contentType ?? "audio/wav" }) as never;
    })
    .openapi(textRoute, async (c) => {
      const sent = await textLead(c.req.valid("param").id, c.req.valid("json").body, c.get("services"));
      return c.json({ sent: sent.sent, ...(sent.sid ? { sid: sent.sid } : {}) }, 200);
    });
}
