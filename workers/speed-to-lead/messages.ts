import { withTenant } from "../../schema/tenant-transaction";
import { type ContactPurpose, contactGate } from "../contact/policy";
import { sourceLabel } from "../intake/sources";
import { twilioClient } from "../integrations/twilio/client";
import { Problem, problems } from "../problems";
import { recordText } from "../repositories/contact-history";
import type { ServiceContext } from "../service-context";
import { createEntity, type Entity, getEntity } from "../services/entities";
import { doneAction, HOUR_MS, onceOnly } from "../services/external-actions";
import { relate } from "../services/relationships";
import { type SpendKind, spendGate } from "../services/spend-gate";
import { tenantTwilio } from "../services/twilio-accounts";
import { recordUsage } from "../services/usage";
import { noteShed } from "./call-state";
import { entityContext, projectVoice, requireTwilio } from "./context";
import { fillTemplate, type SpeedToLeadSettings } from "./settings";

/**
 * Texts from the project's number: owner alerts, text-backs, a person's own
 * text to a lead. Every one passes the contact gate and the spend gate, then
 * the idempotent action ledger (one send per key), and its segments go into
 * the usage ledger.
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

/** One text, as its sender describes it: who to, why (the contact gate), what kind of spend (the spend gate). */
export interface OutboundSms {
  projectId: string;
  to: string;
  from: string;
  body: string;
  /** At most one send per key, ever (retries and duplicates send nothing). */
  key: string;
  leadId?: string | undefined;
  purpose: ContactPurpose;
  spend: SpendKind;
  /** The project's zone: quiet hours fall back to it when the number does not say. */
  zone: string;
  /** The owner's choice for bridge-kind spends at the cap (speed-to-lead settings). */
  bridgeAtCap?: SpeedToLeadSettings["bridgeAtCap"];
  /** Marketing: the campaign's send window in the recipient's local hours. */
  window?: { start: number; end: number } | undefined;
  /** Where Twilio reports the message's delivery (campaign texts follow each recipient). */
  statusCallback?: string | undefined;
  /** How long the key keeps the text from going twice (72 h unless the sender needs longer). */
  keyRetentionMs?: number | undefined;
  /**
   * Told the MessageSid as soon as the text is at Twilio, before the bookkeeping
   * (usage, the message entity): a sender that follows delivery reports must
   * know the sid before Twilio's first report can arrive.
   */
  afterSend?: ((sid: string) => Promise<void>) | undefined;
}

export type SmsOutcome =
  | { sent: true; sid: string }
  | {
      sent: false;
      reason: "opted-out" | "no-consent" | "quiet-hours" | "frequency-cap" | "spend-cap";
      detail: string;
      retryAt?: string;
    };

/**
 * Sends an SMS if the contact gate and the spend gate both allow it; at most
 * once per `key`. A text not sent is noted on its lead with the reason. The
 * segments sent are always recorded in the usage ledger (keyed by the
 * message SID, so a retry that finds the text already sent records it once).
 */
export async function sendSms(
  input: OutboundSms,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<SmsOutcome> {
  requireTwilio(context.env);
  // A text already sent under this key is answered as sent: the gates judged it when it went,
  // and judging it again now (its own send moved the frequency cap) would call it refused.
  const done = await doneAction<{ sid: string }>(context.env, context.actor.auth.tenantId, `sms:${input.key}`);
  const refused = done ? undefined : await refusal(input, context);
  if (refused) {
    // A campaign records its refusals (and quiet-hour holds) on its own recipient rows.
    if (input.leadId && input.purpose !== "marketing") {
      await noteShed(
        input.leadId,
        { key: `sms:${input.key}`, action: `text (${input.purpose})`, reason: refused.reason, detail: refused.detail },
        context,
      );
    }
    return refused;
  }
  const { result, performed } = await onceOnly(
    context.env,
    context.actor.auth.tenantId,
    `sms:${input.key}`,
    input.keyRetentionMs ?? 72 * HOUR_MS,
    async () => {
      const message = await twilioClient(await tenantTwilio(context)).messages.create({
        to: input.to,
        from: input.from,
        body: input.body,
        ...(input.statusCallback ? { statusCallback: input.statusCallback } : {}),
      });
      // The frequency cap's memory, written here and only here, as the text leaves.
      await withTenant(context.db, context.actor.auth.tenantId, (tx) =>
        recordText(tx, context.actor.auth.tenantId, input.to, new Date(), input.purpose === "marketing"),
      );
      return { sid: message.sid };
    },
  );
  if (input.afterSend) await input.afterSend(result.sid);
  await recordUsage(
    {
      projectId: input.projectId,
      resource: "sms_segment",
      quantity: smsSegments(input.body),
      source: "sms",
      reference: result.sid,
      idempotencyKey: `sms:${result.sid}`,
    },
    context,
  );
  if (performed) {
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

/** Why a text may not go: the contact gate first (it costs nothing to ask), then the spend gate. */
async function refusal(
  input: OutboundSms,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<Extract<SmsOutcome, { sent: false }> | undefined> {
  const contact = await contactGate(
    {
      projectId: input.projectId,
      channel: "sms",
      to: input.to,
      purpose: input.purpose,
      leadId: input.leadId,
      fallbackZone: input.zone,
      window: input.window,
    },
    context,
  );
  if (!contact.allowed) {
    return {
      sent: false,
      reason: contact.reason,
      detail: contact.detail,
      ...(contact.retryAt ? { retryAt: contact.retryAt } : {}),
    };
  }
  const spend = await spendGate(input.projectId, input.spend, context, { bridgeAtCap: input.bridgeAtCap });
  if (!spend.allowed) return { sent: false, reason: "spend-cap", detail: spend.detail };
  return undefined;
}

/** GSM-7 texts split at 153 characters per segment once they need more than one (160); others at 67 (70). */
export function smsSegments(body: string): number {
  // Printable ASCII (which holds GSM-7's extension characters too), line breaks and GSM-7's letters.
  const gsm = /^[\n\r -~£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà€]*$/.test(body);
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  const length = [...body].length;
  return length <= single ? 1 : Math.ceil(length / multi);
}

/** One text-back per phone per window (a customer who tries five times gets one text). */
export async function textBack(
  projectId: string,
  phone: string,
  settings: SpeedToLeadSettings,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
  leadId?: string,
) {
  if (!phone || !settings.trackingNumber) return { sent: false as const, reason: "no number" };
  const { project } = await projectVoice(projectId, context);
  const window = Math.floor(Date.now() / (settings.textBackWindowMinutes * 60_000));
  return sendSms(
    {
      projectId,
      to: phone,
      from: settings.trackingNumber,
      body: fillTemplate(settings.textBackTemplate, { business: project.name }),
      key: `text-back:${projectId}:${phone}:${window}`,
      leadId,
      purpose: "reply",
      spend: "outbound-text",
      zone: settings.timezone,
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
      purpose: "conversation",
      spend: "outbound-text",
      zone: settings.timezone,
    },
    context,
  );
  if (!sent.sent) throw smsRefused(sent);
  return sent;
}

/** A person's text that may not go, as the API answers it: 402 for the cap, 409 for the contact policy. */
function smsRefused(refused: Extract<SmsOutcome, { sent: false }>): Problem {
  if (refused.reason === "spend-cap") {
    return new Problem({
      status: 402,
      code: "spend-cap-reached",
      title: "Monthly spend cap reached",
      detail: refused.detail,
      errors: [{ field: "projectId", message: "project is paused by its monthly spend cap" }],
    });
  }
  return problems.conflict(
    refused.reason,
    refused.retryAt ? `${refused.detail} (allowed from ${refused.retryAt})` : refused.detail,
  );
}
