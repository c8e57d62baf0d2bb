import { inOneTenantTransaction } from "../../schema/tenant-transaction";
import { contactGate } from "../contact/policy";
import { Problem, problems } from "../problems";
import { enqueue } from "../queue/enqueue";
import type { ServiceContext } from "../service-context";
import { getEntity } from "../services/entities";
import { spendGate } from "../services/spend-gate";
import { tenantTwilio } from "../services/twilio-accounts";
import { noStageClock, type StageClock } from "../stage-clock";
import { isOpen, nextOpening } from "./business-hours";
import { callAndLead, markLead, noteShed } from "./call-state";
import { projectVoice, requireTwilio } from "./context";
import { climbLadder, dialRung, ladderOf } from "./ladder";
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
  clock: StageClock = noStageClock,
): Promise<BridgeOutcome> {
  const { env, actor } = context;
  requireTwilio(env);
  // Everything the dial depends on, read in one transaction (decision 029): the
  // settings, the lead, both gates' answers and the Twilio account to dial from.
  const read = await inOneTenantTransaction(context.db, actor.auth.tenantId, async (joined) => {
    const inRead = { ...context, db: joined };
    const { settings } = await projectVoice(input.projectId, inRead);
    clock.mark("settings");
    requireVoiceSetUp(settings);
    const lead = await getEntity(input.leadId, inRead);
    clock.mark("lead");
    if (lead.type !== "lead" || lead.projectId !== input.projectId) {
      // One project's lead is never bridged on another's number, owner or budget.
      throw problems.validation([{ field: "leadId", message: `is not a lead of project ${input.projectId}` }]);
    }
    const customer = typeof lead.data.phone === "string" ? lead.data.phone : undefined;
    if (!customer) return { settings, lead, customer };
    // A person's "call now" is their own act; the automatic bridge answers the person's inquiry.
    const purpose = input.attempt ? "conversation" : "reply";
    const refused = await bridgeRefusal(input.projectId, lead.id, customer, purpose, settings, inRead, clock);
    const twilio = refused ? undefined : await tenantTwilio(inRead);
    clock.mark("Twilio account");
    return { settings, lead, customer, refused, twilio };
  });
  const { settings, lead, customer } = read;
  if (!customer) return { outcome: "skipped", reason: "the lead has no phone number" };
  if (read.refused) {
    await markLead(lead.id, { bridge: { status: "skipped", reason: read.refused.reason } }, context);
    await noteShed(lead.id, { key: `bridge:${lead.id}`, action: "bridge call", ...read.refused }, context);
    return { outcome: "skipped", reason: read.refused.detail };
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

  const { result, performed } = await dialRung(
    { lead, customer, settings, projectId: input.projectId, attempt: input.attempt, rung: 0, twilio: read.twilio },
    context,
    clock,
  );
  return performed ? { outcome: "dialing", ...result } : { outcome: "already-dialed", ...result };
}

function requireVoiceSetUp(settings: SpeedToLeadSettings): asserts settings is SpeedToLeadSettings & {
  ownerPhone: string;
  trackingNumber: string;
} {
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
  clock: StageClock,
): Promise<{ reason: string; detail: string } | undefined> {
  const contact = await contactGate(
    { projectId, channel: "call", to: customer, purpose, leadId, fallbackZone: settings.timezone },
    context,
  );
  clock.mark("contact gate");
  if (!contact.allowed) return { reason: contact.reason, detail: contact.detail };
  const spend = await spendGate(projectId, "bridge", context, { bridgeAtCap: settings.bridgeAtCap });
  clock.mark("spend gate");
  if (!spend.allowed) return { reason: spend.reason, detail: spend.detail };
  return undefined;
}

/**
 * After a bridge rung that did not connect. If the person rung missed it (not
 * the customer) and the ladder has another rung inside the project's
 * time-to-connect target, the next person is rung. Otherwise everyone on the
 * ladder is told, and the customer gets the text-back — once per customer
 * per window, however many attempts failed.
 */
export async function missedBridgeFollowUp(
  callId: string,
  reason: string,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  const { call, lead, settings } = await callAndLead(callId, context);
  if (!lead || !settings.ownerPhone || !settings.trackingNumber) return { owner: false, customer: false };
  if (reason.startsWith("owner-")) {
    const next = await climbLadder(call, lead, settings, context);
    if (next) return { owner: false, customer: false, nextRung: next };
  }
  const summary = leadSummary(lead);
  let told = 0;
  for (const person of ladderOf(settings, lead.id)) {
    const sent = await sendSms(
      {
        projectId: call.projectId,
        to: person,
        from: settings.trackingNumber,
        body: `Missed: ${fillTemplate(settings.ownerSmsTemplate, summary)}`,
        // The first rung keeps its old key, so an alert sent before the ladder existed is not repeated.
        key: person === settings.ownerPhone ? `missed-owner:${callId}` : `missed-owner:${callId}:${person}`,
        leadId: lead.id,
        purpose: "owner-alert",
        spend: "bridge",
        bridgeAtCap: settings.bridgeAtCap,
        zone: settings.timezone,
      },
      context,
    );
    if (sent.sent) told++;
  }
  const customer = await textBack(call.projectId, summary.phone, settings, context, lead.id);
  await markLead(lead.id, { bridge: { status: "missed", reason, callId } }, context);
  return { owner: told > 0, customer: customer.sent };
}
