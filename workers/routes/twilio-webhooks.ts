import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { type AppEnv, type RequestActor, webhookActor } from "../context";
import { Problem, problems } from "../problems";
import {
  callStatus,
  connectTwiml,
  dialStatus,
  inboundCall,
  inboundDialStatus,
  inboundSms,
  recordingReady,
  tenantOfProject,
  whisperTwiml,
} from "../services/voice";
import { MessagingResponse, validTwilioSignature } from "../voice/twilio";

/**
 * Twilio's voice and SMS webhooks. Not in the OpenAPI document: Twilio's own
 * documentation is their contract. Every request must carry a valid
 * X-Twilio-Signature computed over PUBLIC_BASE_URL + path + query (never the
 * Host header) and the form body; a forgery gets 403 and changes nothing.
 * Never 429: Twilio does not back off.
 */
type TwilioEnv = AppEnv & { Variables: AppEnv["Variables"] & { form: Record<string, string>; actor: RequestActor } };

const uuid = z.uuid();

const verified = createMiddleware<TwilioEnv>(async (c, next) => {
  const url = new URL(c.req.url);
  const publicUrl = new URL(`${url.pathname}${url.search}`, c.env.PUBLIC_BASE_URL).toString();
  const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
  if (!validTwilioSignature(c.env, c.req.header("x-twilio-signature"), publicUrl, form)) {
    throw new Problem({
      status: 403,
      code: "twilio-signature-invalid",
      title: "Forbidden",
      detail: "X-Twilio-Signature does not match this request.",
    });
  }
  // Trusted only now: the tenant and call ids are part of the signed URL.
  let tenantId = c.req.query("tenant");
  const project = c.req.query("project");
  if (!tenantId && project && uuid.safeParse(project).success) {
    tenantId = await tenantOfProject(c.var.db(), project);
  }
  if (!tenantId || !uuid.safeParse(tenantId).success)
    throw problems.notFound("This webhook names no tenant or project.");
  c.set("form", form);
  c.set("actor", webhookActor(tenantId, "twilio", c.get("requestId"), c.req.header("cf-connecting-ip") ?? null));
  c.set("tenantId", tenantId);
  await next();
});

const xml = (body: string) => new Response(body, { headers: { "content-type": "text/xml" } });

function callId(c: { req: { query(name: string): string | undefined } }): string {
  const id = c.req.query("call");
  if (!id || !uuid.safeParse(id).success) throw problems.validation([{ field: "call", message: "must be a call id" }]);
  return id;
}

async function enqueue(env: Env, tenantId: string, task: string, params: Record<string, unknown>) {
  await env.AGENTS.send({ task, tenantId, params, enqueuedAt: Date.now() });
}

export function twilioWebhookRoutes() {
  const app = new Hono<TwilioEnv>();
  app.use("*", verified);
  const context = (c: { env: Env; var: TwilioEnv["Variables"] }) => ({
    env: c.env,
    db: c.var.db(),
    actor: c.var.actor,
  });

  app.post("/whisper", async (c) => xml(await whisperTwiml(callId(c), context(c))));

  app.post("/connect", async (c) => {
    const id = callId(c);
    const { twiml, missed } = await connectTwiml(id, c.var.form.Digits ?? "", context(c));
    if (missed)
      await enqueue(c.env, c.var.actor.auth.tenantId, "bridge_missed", { callId: id, reason: "owner-declined" });
    return xml(twiml);
  });

  app.post("/status", async (c) => {
    const id = callId(c);
    const { applied, missed } = await callStatus(id, c.var.form, context(c));
    if (applied && missed) {
      await enqueue(c.env, c.var.actor.auth.tenantId, "bridge_missed", {
        callId: id,
        reason: `owner-${c.var.form.CallStatus}`,
      });
    }
    return c.body(null, 204);
  });

  app.post("/dial-status", async (c) => {
    const id = callId(c);
    const { twiml, applied, customerMissed } = await dialStatus(id, c.var.form, context(c));
    if (applied && customerMissed) {
      await enqueue(c.env, c.var.actor.auth.tenantId, "bridge_missed", {
        callId: id,
        reason: `customer-${c.var.form.DialCallStatus}`,
      });
    }
    return xml(twiml);
  });

  app.post("/recording-status", async (c) => {
    const id = callId(c);
    if (c.var.form.RecordingStatus !== "completed") return c.body(null, 204);
    const { performed } = await recordingReady(id, c.var.form, context(c));
    if (performed) await enqueue(c.env, c.var.actor.auth.tenantId, "store_call_recording", { callId: id });
    return c.body(null, 204);
  });

  app.post("/inbound", async (c) => xml(await inboundCall(c.req.query("project") ?? "", c.var.form, context(c))));

  app.post("/inbound-status", async (c) => {
    const id = callId(c);
    const { twiml, missed } = await inboundDialStatus(id, c.var.form, context(c));
    if (missed) await enqueue(c.env, c.var.actor.auth.tenantId, "inbound_missed", { callId: id });
    return xml(twiml);
  });

  app.post("/sms", async (c) => {
    const project = c.req.query("project") ?? "";
    const { reply } = await inboundSms(project, c.var.form, context(c));
    const twiml = new MessagingResponse();
    if (reply) twiml.message(reply);
    return xml(twiml.toString());
  });

  return app;
}
