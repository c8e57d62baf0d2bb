import { OpenAPIHono, z } from "@hono/zod-openapi";
import { runStartedTicket } from "../agents/run-ticket";
import type { AppEnv } from "../context";
import { LEAD_SOURCE_IDS, leadSource } from "../intake/sources";
import { takeLead } from "../intake/take-lead";
import { BODY_LIMITS } from "../middleware/body-limit";
import type { RoutePolicy } from "../middleware/policy";
import { problems } from "../problems";
import { anonymousContextFrom } from "../service-context";
import { stageClock } from "../stage-clock";
import { defineRoute, guardedErrors, problem } from "./shared";

/** Public: a lead source proves itself per project (google_key, shared secret or token), checked in the service. */
const intake = { risk: "WRITE-LOW", role: "public" } satisfies RoutePolicy;

/** Not in `request.body`: each source parses its own (JSON or form post), so no schema gate stands in front. */
const intakeRoute = defineRoute(
  intake,
  {
    method: "post",
    path: "/{source}",
    tags: ["lead intake"],
    summary:
      "A lead from Google Ads (lead form webhook JSON, verified by google_key), WordPress (JSON or form post, " +
      "X-Apex-Secret header or ?secret=) or any form (JSON or form post, Bearer token or ?token=). " +
      "Deduplicated by phone, email, the source's lead id and Idempotency-Key; the bridge call is queued.",
    request: {
      params: z.object({ source: z.enum(LEAD_SOURCE_IDS).openapi({ param: { name: "source", in: "path" } }) }),
      query: z.object({
        project: z.uuid().openapi({ description: "The project the lead is for" }),
        secret: z.string().optional(),
        token: z.string().optional(),
      }),
    },
    responses: {
      200: {
        description:
          "Taken in (or joined to the same lead taken in before). A browser's form post (form-encoded, " +
          "Accept: text/html) gets a thank-you page instead of JSON.",
        content: {
          "application/json": {
            schema: z.object({ leadId: z.uuid(), duplicate: z.boolean(), ticketId: z.uuid().optional() }),
          },
        },
      },
      400: problem("The body is neither JSON nor application/x-www-form-urlencoded (field `(body)`)"),
      401: guardedErrors[401],
      404: problem("No such project"),
      409: problem("The same lead is being taken in right now; retry in a moment"),
      422: guardedErrors[422],
      // The project's budget, spent only by verified intakes; or the source IP's, spent by refused ones.
      429: guardedErrors[429],
    },
  },
  // A lead is a handful of fields; a larger body would be stored whole before the event log refused it.
  { bodyLimit: BODY_LIMITS.intake },
);

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
    const clock = stageClock();
    const source = leadSource(c.req.valid("param").source);
    if (!source) throw problems.notFound("No such lead source.");
    const rawBody = await c.req.text();
    const body = parseBody(c.req.header("content-type") ?? "", rawBody);
    const proof = source.proofFrom({ body, header: (name) => c.req.header(name), query: (name) => c.req.query(name) });
    const result = await takeLead(
      source,
      c.req.valid("query").project,
      body,
      { proof, idempotencyKey: c.req.header("idempotency-key") },
      {
        ...anonymousContextFrom(c),
        rawBody,
        clock,
        // The lead's bridge runs from this request, after the answer (decision 025).
        // On this request's own Postgres connection, held open until the run ends.
        runStarted: (started) => {
          const waitUntil = (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise);
          const run = runStartedTicket(c.env, started, c.get("log"), waitUntil, c.get("db"));
          c.get("holdDatabase")(run);
          waitUntil(run);
        },
      },
    );
    c.get("log").info("intake stages", { leadId: result.leadId, startedAt: clock.startedAt, stages: clock.stages() });
    // A person's browser posting a pasted HTML form gets a page, not JSON; machines still get JSON.
    if (fromBrowserForm(c.req.header("content-type"), c.req.header("accept"))) return c.html(THANK_YOU, 200) as never;
    return c.json(result, 200);
  });
}

const fromBrowserForm = (type = "", accept = "") =>
  type.includes("application/x-www-form-urlencoded") && accept.includes("text/html");

/** What a visitor sees after submitting the form: fixed words, nothing from the request or the tenant. */
const THANK_YOU = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Thank you</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem">
<h1>Thank you!</h1><p>We got your request and will call you back shortly.</p></body></html>`;
