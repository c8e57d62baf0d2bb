import { sourceLabel } from "../intake/sources";
import { twilioClient } from "../integrations/twilio/client";
import { problems } from "../problems";
import type { ServiceContext } from "../service-context";
import { createEntity, type Entity, getEntity } from "../services/entities";
import { HOUR_MS, onceOnly } from "../services/external-actions";
import { relate } from "../services/relationships";
import { recordUsage } from "../services/usage";
import { entityContext, optedOut, projectVoice, requireTwilio } from "./context";
import { fillTemplate, type SpeedToLeadSettings } from "./settings";

/**
 * Texts from the project's number: owner alerts, text-backs, a person's own
 * text to a lead. Every one passes the opt-out ledger, then the idempotent
 * action ledger (one send per key), and its segments go into the usage ledger.
 */
export const leadSummary = (lead: Entity) => {
  const message = typeof lead.data.message === "string" ? lead.data.message : "";
  return {
    name: lead.name,
    source: sourceLabel(lead.data.source),
    phone: String(lead.data.phone ?? ""),
    about: message ? `, ${message.slice(0, 80)}` : "",
  };
};

/**
 * Sends an SMS unless the recipient opted out; at most once per `key`.
 * Returns the message SID, or why nothing was sent.
 */
export async function sendSms(
  input: { projectId: string; to: string; from: string; body: string; key: string; leadId?: string },
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<{ sent: boolean; sid?: string; reason?: string }> {
  requireTwilio(context.env);
  if (await optedOut(input.to, context)) return { sent: false, reason: "opted-out" };
  const { result, performed } = await onceOnly(
    context.env,
    context.actor.auth.tenantId,
    `sms:${input.key}`,
    72 * HOUR_MS,
    async () => {
      const message = await twilioClient(context.env).messages.create({
        to: input.to,
        from: input.from,
        body: input.body,
      });
      return { sid: message.sid };
    },
  );
  if (performed) {
    await recordUsage(
      {
        projectId: input.projectId,
        resource: "sms_segment",
        quantity: Math.max(1, Math.ceil(input.body.length / 160)),
        source: "sms",
        reference: result.sid,
        idempotencyKey: `sms:${result.sid}`,
      },
      context,
    ).catch(() => undefined);
    const message = await createEntity(
      {
        projectId: input.projectId,
        type: "message",
        name: `SMS to ${input.to}`,
        status: "sent",
        data: { direction: "outbound", to: input.to, from: input.from, body: input.body, sid: result.sid },
      },
      entityContext(context),
    );
    if (input.leadId) await relate(input.leadId, { toId: message.id, type: "has_message" }, entityContext(context));
  }
  return { sent: true, sid: result.sid };
}

/** One text-back per phone per window (a customer who tries five times gets one text). */
export async function textBack(
  projectId: string,
  phone: string,
  settings: SpeedToLeadSettings,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
  leadId?: string,
) {
  if (!phone || !settings.trackingNumber) return { sent: false, reason: "no number" };
  const { project } = await projectVoice(projectId, context);
  const window = Math.floor(Date.now() / (settings.textBackWindowMinutes * 60_000));
  return sendSms(
    {
      projectId,
      to: phone,
      from: settings.trackingNumber,
      body: fillTemplate(settings.textBackTemplate, { business: project.name }),
      key: `text-back:${projectId}:${phone}:${window}`,
      ...(leadId ? { leadId } : {}),
    },
    context,
  );
}

/** A text to a lead from the project's number, typed by a person (opt-outs still hold). */
export async function textLead(leadId: string, body: string, context: Pick<ServiceContext, "env" | "db" | "actor">) {
  const lead = await getEntity(leadId, context);
  const phone = typeof lead.data.phone === "string" ? lead.data.phone : undefined;
  if (!phone) throw problems.validation([{ field: "leadId", message: "the lead has no phone number" }]);
  const { settings } = await projectVoice(lead.projectId, context);
  if (!settings.trackingNumber) {
    throw problems.validation([{ field: "trackingNumber", message: "the project has no number to text from" }]);
  }
  const sent = await sendSms(
    {
      projectId: lead.projectId,
      to: phone,
      from: settings.trackingNumber,
      body,
      key: `manual:${context.actor.requestId}`,
      leadId,
    },
    context,
  );
  if (!sent.sent) throw problems.conflict("opted-out", `${phone} opted out of texts.`);
  return sent;
}
