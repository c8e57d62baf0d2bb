import { contactGate } from "../contact/policy";
import { twilioClient } from "../integrations/twilio/client";
import { Problem, problems } from "../problems";
import { enqueue } from "../queue/enqueue";
import type { ServiceContext } from "../service-context";
import { createEntity, getEntity, reviseEntity } from "../services/entities";
import type { CallSystem } from "../services/entity-system";
import { HOUR_MS, onceOnly } from "../services/external-actions";
import { relate } from "../services/relationships";
import { spendGate } from "../services/spend-gate";
import { isOpen, nextOpening } from "./business-hours";
import { callAndLead, markLead, noteShed } from "./call-state";
import { entityContext, projectVoice, requireTwilio, webhookUrl } from "./context";
import { leadSummary, sendSms, textBack } from "./messages";
import { fillTemplate, type SpeedToLeadSettings } from "./settings";

export type BridgeOutcome =
  | { outcome: "dialing"; callId: string; callSid: string }
  | { outcome: "already-dialed"; callId: string; callSid: string }
  | { outcome: "scheduled"; at: string }
  | { outcome: "skipped"; reason: string };

/**
 * The bridge (owner ↔ customer): ring the owner from the project's number;
 * the whisper and the connect step follow as Twilio webhooks. Outside business
 * hours the owner gets an SMS and the call is scheduled for opening time.
 * One automatic bridge per lead, ever: the action key is the lead's. A person
 * pressing "call now" passes `attempt`, which makes a new, equally
 * once-only key for that press.
 */
export async function startBridge(
  input: { leadId: string; projectId: string; attempt?: string | undefined },
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<BridgeOutcome> {
  const { env, actor } = context;
  requireTwilio(env);
  const { settings } = await projectVoice(input.projectId, context);
  if (!settings.ownerPhone || !settings.trackingNumber) {
    throw new Problem({
      status: 422,
      code: "voice-not-set-up",
      title: "Speed-to-lead is not set up",
      detail:
        "The project needs an owner phone and a tracking number (PUT /api/v1/projects/{id}/speed-to-lead-settings).",
      errors: [{ field: settings.ownerPhone ? "trackingNumber" : "ownerPhone", message: "required for the bridge" }],
    });
  }
  const lead = await getEntity(input.leadId, context);
  if (lead.type !== "lead" || lead.projectId !== input.projectId) {
    // One project's lead is never bridged on another's number, owner or budget.
    throw problems.validation([{ field: "leadId", message: `is not a lead of project ${input.projectId}` }]);
  }
  const customer = typeof lead.data.phone === "string" ? lead.data.phone : undefined;
  if (!customer) return { outcome: "skipped", reason: "the lead has no phone number" };
  // A person's "call now" is their own act; the automatic bridge answers the person's inquiry.
  const purpose = input.attempt ? "conversation" : "reply";
  const refused = await bridgeRefusal(input.projectId, lead.id, customer, purpose, settings, context);
  if (refused) {
    await markLead(lead.id, { bridge: { status: "skipped", reason: refused.reason } }, context);
    await noteShed(lead.id, { key: `bridge:${lead.id}`, action: "bridge call", ...refused }, context);
    return { outcome: "skipped", reason: refused.detail };
  }
  const now = new Date();
  if (!isOpen(settings, now)) {
    const opening = nextOpening(settings, now);
    const summary = leadSummary(lead);
    await sendSms(
      {
        projectId: input.projectId,
        to: settings.ownerPhone,
        from: settings.trackingNumber,
        body: `${fillTemplate(settings.ownerSmsTemplate, summary)} (after hours: Apex will call you when you open)`,
        key: `after-hours:${lead.id}`,
        leadId: lead.id,
        purpose: "owner-alert",
        spend: "bridge",
        bridgeAtCap: settings.bridgeAtCap,
        zone: settings.timezone,
      },
      context,
    );
    if (!opening) return { outcome: "skipped", reason: "no business hours are open" };
    // Queues delay at most 12 h; a run that wakes early reschedules itself.
    await enqueue(env, actor.auth.tenantId, "sales_agent", input, {
      delaySeconds: Math.min(43_200, Math.ceil((opening.getTime() - now.getTime()) / 1000)),
    });
    await markLead(lead.id, { bridge: { status: "scheduled", at: opening.toISOString() } }, context);
    return { outcome: "scheduled", at: opening.toISOString() };
  }

  const { result, performed } = await onceOnly(
    env,
    actor.auth.tenantId,
    `bridge:${lead.id}${input.attempt ? `:manual:${input.attempt}` : ""}`,
    30 * 24 * HOUR_MS,
    async () => {
      const call = await createEntity(
        {
          projectId: input.projectId,
          type: "call",
          name: `Bridge for ${lead.name}`,
          status: "queued",
          data: {},
          system: {
            direction: "outbound",
            kind: "bridge",
            from: settings.trackingNumber,
            to: settings.ownerPhone,
            customer,
            leadId: lead.id,
            timeline: [{ status: "queued", at: new Date().toISOString() }],
          } satisfies CallSystem,
        },
        entityContext(context),
      );
      await relate(lead.id, { toId: call.id, type: "has_call" }, entityContext(context));
      const query = { tenant: actor.auth.tenantId, call: call.id };
      let created: { sid: string };
      try {
        created = await twilioClient(env).calls.create({
          to: settings.ownerPhone as string,
          from: settings.trackingNumber as string,
          url: webhookUrl(env, "whisper", query),
          statusCallback: webhookUrl(env, "status", query),
          statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
          timeout: 20,
        });
      } catch (error) {
        // Twilio's own refusal (a RestException: HTTP status and Twilio error code) means
        // nothing was dialled, and the key is released for a retry. Anything else may
        // have happened after Twilio placed the call: settle the key, never dial twice.
        const refused =
          typeof (error as { status?: unknown }).status === "number" &&
          typeof (error as { code?: unknown }).code === "number";
        if (refused) throw error;
        console.error(
          JSON.stringify({
            level: "error",
            msg: "bridge outcome unknown; not retrying",
            callId: call.id,
            error: String(error),
          }),
        );
        return { callId: call.id, callSid: "unknown" };
      }
      // The call exists at Twilio from here on: a failure in bookkeeping must not
      // release the ledger key (a retry would dial the owner a second time).
      await reviseEntity(
        call.id,
        (c) => ({ system: { ...c.system, callSid: created.sid } }),
        entityContext(context),
      ).catch((error) =>
        console.error(
          JSON.stringify({
            level: "error",
            msg: "call placed but its SID was not saved",
            callId: call.id,
            callSid: created.sid,
            error: String(error),
          }),
        ),
      );
      return { callId: call.id, callSid: created.sid };
    },
  );
  await markLead(lead.id, { bridge: { status: "dialing-owner", callId: result.callId } }, context);
  return performed ? { outcome: "dialing", ...result } : { outcome: "already-dialed", ...result };
}

/**
 * Why the bridge may not call: the customer's contact policy (the owner's
 * phone is the project's own), then the spend gate with the owner's choice
 * for the cap (default: keep calling).
 */
async function bridgeRefusal(
  projectId: string,
  leadId: string,
  customer: string,
  purpose: "reply" | "conversation",
  settings: SpeedToLeadSettings,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<{ reason: string; detail: string } | undefined> {
  const contact = await contactGate(
    { projectId, channel: "call", to: customer, purpose, leadId, fallbackZone: settings.timezone },
    context,
  );
  if (!contact.allowed) return { reason: contact.reason, detail: contact.detail };
  const spend = await spendGate(projectId, "bridge", context, { bridgeAtCap: settings.bridgeAtCap });
  if (!spend.allowed) return { reason: spend.reason, detail: spend.detail };
  return undefined;
}

/**
 * After a bridge that did not connect: tell the owner, and text the customer
 * back — once per customer per window, however many attempts failed.
 */
export async function missedBridgeFollowUp(
  callId: string,
  reason: string,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  const { call, lead, settings } = await callAndLead(callId, context);
  if (!lead || !settings.ownerPhone || !settings.trackingNumber) return { owner: false, customer: false };
  const summary = leadSummary(lead);
  const owner = await sendSms(
    {
      projectId: call.projectId,
      to: settings.ownerPhone,
      from: settings.trackingNumber,
      body: `Missed: ${fillTemplate(settings.ownerSmsTemplate, summary)}`,
      key: `missed-owner:${callId}`,
      leadId: lead.id,
      purpose: "owner-alert",
      spend: "bridge",
      bridgeAtCap: settings.bridgeAtCap,
      zone: settings.timezone,
    },
    context,
  );
  const customer = await textBack(call.projectId, summary.phone, settings, context, lead.id);
  await markLead(lead.id, { bridge: { status: "missed", reason, callId } }, context);
  return { owner: owner.sent, customer: customer.sent };
}
