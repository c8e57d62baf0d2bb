import type { Database } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import { campaignReply, campaignStop } from "../campaigns/replies";
import { optOutIntent } from "../contact/opt-out-language";
import { VoiceResponse } from "../integrations/twilio/twiml";
import { recordAudit } from "../repositories/audit";
import { setOptOut } from "../repositories/opt-outs";
import { projectForWebhook } from "../repositories/projects";
import type { ServiceContext } from "../service-context";
import { createEntity, getEntity, leadByPhone } from "../services/entities";
import { type CallSystem, callSystem } from "../services/entity-system";
import { HOUR_MS, onceOnly } from "../services/external-actions";
import { relate } from "../services/relationships";
import { recordUsage } from "../services/usage";
import { cleanText } from "../text/unicode";
import { markLead } from "./call-state";
import { entityContext, projectVoice, webhookUrl } from "./context";
import { smsSegments, textBack } from "./messages";

/**
 * The project's tracking number, inbound: calls forwarded to the
 * owner and recorded, texts threaded onto the sender's lead, opt-outs and
 * opt-ins kept in the opt-out ledger.
 */

/**
 * An inbound SMS: an opt-out (STOP, or in words: "stop texting me") or an
 * opt-in (START) updates the opt-out ledger and is answered as Twilio's own
 * opt-out handling would — never shed, whatever the spend cap; anything else
 * is threaded onto the sender's lead as a message.
 */
export async function inboundSms(
  projectId: string,
  params: Record<string, string>,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  const from = params.From ?? "";
  // A customer's text is stored whatever bytes it carries (Twilio must never get a 4xx for it):
  // NUL and lone surrogates, which Postgres and JSON refuse, are replaced.
  const body = cleanText(params.Body ?? "").trim();
  const intent = optOutIntent(body);
  const { project } = await projectVoice(projectId, context);
  // Receiving a text is billed by the segment too (keyed by the message, so Twilio's retries bill once).
  await meterSms(projectId, body, "inbound-sms", params.MessageSid, context);
  if (intent === "opt-out" || intent === "opt-in") {
    const optOut = intent === "opt-out";
    // The ledger keeps what they wrote (bounded): "STOP", or the sentence that counted as one.
    const said = body.slice(0, 200);
    await withTenant(context.db, context.actor.auth.tenantId, async (tx) => {
      await setOptOut(tx, context.actor.auth.tenantId, from, optOut, said);
      await recordAudit(tx, context.actor, {
        action: optOut ? "opt_out.stop" : "opt_out.start",
        after: { phone: from, said },
      });
    });
    // STOP stops everything for the number at once: no campaign text still waiting goes.
    if (optOut) await campaignStop(from, context);
    const reply = optOut
      ? `You have been unsubscribed from ${project.name}. No more calls or texts. Reply START to undo.`
      : `You are subscribed to ${project.name} again. Reply STOP to unsubscribe.`;
    // The confirmation is essential (never shed at the cap), and spent, so recorded.
    await meterSms(projectId, reply, "opt-out-reply", params.MessageSid, context);
    return { reply };
  }
  if (intent === "help") {
    const reply = `${project.name}: reply STOP to unsubscribe.`;
    await meterSms(projectId, reply, "help-reply", params.MessageSid, context);
    return { reply };
  }
  const { performed } = await onceOnly(
    context.env,
    context.actor.auth.tenantId,
    `twilio-sms:${params.MessageSid}`,
    72 * HOUR_MS,
    async () => {
      const lead = await leadByPhone(projectId, from, entityContext(context));
      const message = await createEntity(
        {
          projectId,
          type: "message",
          name: `SMS from ${from}`,
          status: "received",
          data: { direction: "inbound", from, to: params.To, body, sid: params.MessageSid },
        },
        entityContext(context),
      );
      if (lead) {
        await relate(lead.id, { toId: message.id, type: "has_message" }, entityContext(context));
        await markLead(lead.id, { lastInboundAt: new Date().toISOString() }, context);
      }
      return { messageId: message.id, leadId: lead?.id ?? null };
    },
  );
  // A campaign recipient writing back: marked replied, reopened, and the owner told (once per recipient).
  if (performed) await campaignReply(projectId, from, body, context);
  return { reply: undefined, threaded: performed };
}

/** One inbound text or one TwiML reply, in the usage ledger once per message and direction. */
function meterSms(
  projectId: string,
  body: string,
  source: "inbound-sms" | "opt-out-reply" | "help-reply",
  messageSid: string | undefined,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  return recordUsage(
    {
      projectId,
      resource: "sms_segment",
      quantity: smsSegments(body),
      source,
      reference: messageSid,
      idempotencyKey: messageSid ? `sms_segment:${source}:${messageSid}` : undefined,
    },
    context,
  );
}

/** A Twilio number's webhooks name their project; the tenant is read from it (after the signature checked out). */
export async function tenantOfProject(db: Database, projectId: string): Promise<string | undefined> {
  return (await projectForWebhook(db, projectId))?.tenantId;
}

/**
 * A call to the project's tracking number: it becomes a call on
 * the caller's lead (found by phone, or new) and is forwarded to the owner,
 * recorded. Deduplicated on CallSid.
 */
export async function inboundCall(
  projectId: string,
  params: Record<string, string>,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<string> {
  const { settings } = await projectVoice(projectId, context);
  const caller = params.From ?? "";
  const { result } = await onceOnly(
    context.env,
    context.actor.auth.tenantId,
    `twilio-inbound:${params.CallSid}`,
    72 * HOUR_MS,
    async () => {
      const ctx = entityContext(context);
      const lead =
        (await leadByPhone(projectId, caller, ctx)) ??
        (await createEntity(
          {
            projectId,
            type: "lead",
            name: `Caller ${caller}`,
            status: "new",
            data: { phone: caller, source: "phone-call" },
            system: { receivedAt: new Date().toISOString() },
          },
          ctx,
        ));
      await markLead(lead.id, { lastInboundAt: new Date().toISOString() }, context);
      const call = await createEntity(
        {
          projectId,
          type: "call",
          name: `Call from ${caller}`,
          status: "ringing",
          data: {},
          system: {
            direction: "inbound",
            kind: "inbound",
            from: caller,
            ...(params.To ? { to: params.To } : {}),
            ...(params.CallSid ? { callSid: params.CallSid } : {}),
            leadId: lead.id,
            timeline: [{ status: "ringing", at: new Date().toISOString() }],
          } satisfies CallSystem,
        },
        ctx,
      );
      await relate(lead.id, { toId: call.id, type: "has_call" }, ctx);
      return { callId: call.id, leadId: lead.id };
    },
  );
  const twiml = new VoiceResponse();
  if (!settings.ownerPhone) {
    twiml.say("Sorry, nobody can take your call right now. We'll text you back.");
    twiml.hangup();
    return twiml.toString();
  }
  const query = { tenant: context.actor.auth.tenantId, call: result.callId };
  twiml.say(settings.disclosure);
  const dial = twiml.dial({
    timeout: 20,
    record: "record-from-answer-dual",
    recordingStatusCallback: webhookUrl(context.env, "recording-status", query),
    action: webhookUrl(context.env, "inbound-status", query),
  });
  dial.number(settings.ownerPhone);
  return twiml.toString();
}

/** After a missed inbound call: the one text-back, and the lead marked. */
export async function missedInboundFollowUp(callId: string, context: Pick<ServiceContext, "env" | "db" | "actor">) {
  const call = await getEntity(callId, context);
  const { settings } = await projectVoice(call.projectId, context);
  const { from: caller = "", leadId } = callSystem(call);
  const sent = await textBack(call.projectId, caller, settings, context, leadId);
  if (leadId) await markLead(leadId, { lastMissedCallAt: new Date().toISOString() }, context);
  return sent;
}
