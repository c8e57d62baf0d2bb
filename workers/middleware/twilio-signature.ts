import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { type AppEnv, webhookActor } from "../context";
import { validTwilioSignature } from "../integrations/twilio/signature";
import { Problem, problems } from "../problems";
import { contextFrom, type ServiceContext } from "../service-context";
import { webhookTokenFor } from "../services/twilio-accounts";
import { tenantOfProject } from "../speed-to-lead/inbound";

export type TwilioEnv = AppEnv & {
  Variables: AppEnv["Variables"] & { form: Record<string, string>; services: ServiceContext };
};

const uuid = z.uuid();

/**
 * Twilio's webhooks are trusted only after X-Twilio-Signature checks out,
 * computed over PUBLIC_BASE_URL + path + query (never the Host header, which a
 * proxy or an attacker can change) and the form body; a forgery gets 403 and
 * changes nothing. The key is the auth token of the account that sent it: the
 * tenant's own subaccount, or the platform account — the tenant named by the
 * URL (or by the project it names) picks which, and the signature, which
 * covers that URL and the AccountSid, must then match. Nothing is read or
 * written for the tenant before that.
 */
export const twilioSignature = createMiddleware<TwilioEnv>(async (c, next) => {
  const url = new URL(c.req.url);
  const publicUrl = new URL(`${url.pathname}${url.search}`, c.env.PUBLIC_BASE_URL).toString();
  const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
  let tenantId = c.req.query("tenant");
  const project = c.req.query("project");
  if (!tenantId && project && uuid.safeParse(project).success) {
    tenantId = await tenantOfProject(c.get("db")(), project);
  }
  const named = tenantId && uuid.safeParse(tenantId).success ? tenantId : undefined;
  const token = named ? await webhookTokenFor(c.env, c.get("db")(), named, form.AccountSid) : c.env.TWILIO_AUTH_TOKEN;
  if (!validTwilioSignature(token, c.req.header("x-twilio-signature"), publicUrl, form)) {
    throw new Problem({
      status: 403,
      code: "twilio-signature-invalid",
      title: "Forbidden",
      detail: "X-Twilio-Signature does not match this request.",
    });
  }
  if (!named) throw problems.notFound("This webhook names no tenant or project.");
  c.set("form", form);
  const actor = webhookActor(named, "twilio", c.get("requestId"), c.req.header("cf-connecting-ip") ?? null);
  c.set("services", contextFrom(c, actor));
  c.set("tenantId", named);
  await next();
});
