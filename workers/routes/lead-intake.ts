import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { problems } from "../problems";
import { LEAD_SOURCES, takeLead } from "../services/intake";
import type { RoutePolicy } from "./policy";
import { guardedErrors } from "./shared";

/** Public: a lead source proves itself per project (google_key, shared secret or token), checked in the service. */
const intake: RoutePolicy = { risk: "WRITE-LOW", role: "public" };

const intakeRoute = createRoute({
  method: "post",
  path: "/{source}",
  tags: ["lead intake"],
  summary:
    "A lead from Google Ads (lead form webhook JSON, verified by google_key), WordPress (JSON or form post, " +
    "X-Apex-Secret header or ?secret=) or any form (JSON or form post, Bearer token or ?token=). " +
    "Deduplicated by phone, email, the source's lead id and Idempotency-Key; the bridge call is queued.",
  "x-apex-policy": intake,
  middleware: [guard(intake)] as const,
  request: {
    params: z.object({ source: z.enum(LEAD_SOURCES).openapi({ param: { name: "source", in: "path" } }) }),
    query: z.object({
      project: z.uuid().openapi({ description: "The project the lead is for" }),
      secret: z.string().optional(),
      token: z.string().optional(),
    }),
  },
  responses: {
    200: {
      description: "Taken in (or joined to the same lead taken in before)",
      content: {
        "application/json": {
          schema: z.object({ leadId: z.uuid(), duplicate: z.boolean(), ticketId: z.uuid().optional() }),
        },
      },
    },
    401: guardedErrors[401],
    422: guardedErrors[422],
    // The project's budget, spent only by verified intakes; or the source IP's, spent by refused ones.
    429: guardedErrors[429],
  },
});

function parseBody(type: string, text: string): unknown {
  if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    throw problems.invalidJson("The body must be JSON or application/x-www-form-urlencoded.");
  }
}

export function leadIntakeRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(intakeRoute, async (c) => {
    const { project, secret, token } = c.req.valid("query");
    const bearer = c.req.header("authorization")?.replace(/^Bearer\s+/i, "");
    const rawBody = await c.req.text();
    const result = await takeLead(
      c.req.valid("param").source,
      project,
      parseBody(c.req.header("content-type") ?? "", rawBody),
      {
        secret: c.req.header("x-apex-secret") ?? secret,
        token: bearer ?? token,
        idempotencyKey: c.req.header("idempotency-key"),
      },
      {
        env: c.env,
        db: c.var.db(),
        requestId: c.get("requestId"),
        ip: c.req.header("cf-connecting-ip") ?? null,
        rawBody,
      },
    );
    return c.json(result, 200);
  });
}
