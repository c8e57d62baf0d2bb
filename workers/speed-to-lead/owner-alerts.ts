import type { ServiceContext } from "../service-context";
import type { Entity } from "../services/entities";
import { callSystem } from "../services/entity-system";
import { spendState } from "../services/usage";
import { microsToUsd } from "../usage/prices";
import { projectVoice } from "./context";
import { leadSummary, sendSms } from "./messages";
import { fillTemplate } from "./settings";

/**
 * The text that tells an owner their project neared or reached its monthly
 * spend cap, and what Apex does about it. An account alert: never shed by the
 * spend gate, sent once per threshold per month (the key).
 */
export async function textOwnerSpendAlert(
  input: { projectId: string; month: string; percent: 80 | 100 },
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  const { project, settings } = await projectVoice(input.projectId, context);
  if (!settings.ownerPhone || !settings.trackingNumber) return { sent: false as const, reason: "no owner phone" };
  const state = await spendState(input.projectId, input.month, context);
  const spent = `$${microsToUsd(state.totalMicros).toFixed(2)}`;
  const cap = state.capMicros === null ? "no cap" : `$${microsToUsd(state.capMicros).toFixed(2)}`;
  const bridge = settings.bridgeAtCap === "pause" ? "bridge calls pause too" : "bridge calls go on";
  const body =
    input.percent === 100
      ? `Apex: ${project.name} reached its monthly cap (${spent} of ${cap}). AI and texts are paused; ${bridge}. Raise the cap in Apex to resume.`
      : `Apex: ${project.name} has spent ${spent} of its ${cap} monthly cap (80%). The lead hunter pauses now, AI at 90%, texts at 100%.`;
  return sendSms(
    {
      projectId: input.projectId,
      to: settings.ownerPhone,
      from: settings.trackingNumber,
      body,
      key: `spend-alert:${input.projectId}:${input.month}:${input.percent}`,
      purpose: "owner-alert",
      spend: "essential",
      zone: settings.timezone,
    },
    context,
  );
}

/**
 * A lead scored at or above the project's threshold is announced to the
 * owner (or the chosen recipients), once per lead and recipient, whatever
 * path brought it. An owner alert about the business's own leads: it follows
 * the owner's choice for the bridge at the spend cap.
 */
export async function textHotLeadAlert(
  lead: Entity,
  score: { value: number; reasons: string[] },
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  const { settings } = await projectVoice(lead.projectId, context);
  const recipients = settings.hotLeadRecipients.length > 0 ? settings.hotLeadRecipients : [settings.ownerPhone];
  const from = settings.trackingNumber;
  if (!from) return [];
  const about = leadSummary(lead);
  const message = typeof lead.data.message === "string" ? lead.data.message.trim() : "";
  const summary = (message || score.reasons[0] || "").slice(0, 120);
  const body = fillTemplate(settings.hotLeadTemplate, {
    ...about,
    score: String(score.value),
    summary: summary || "no message",
  });
  const sent = [];
  for (const to of recipients) {
    if (!to) continue;
    sent.push(
      await sendSms(
        {
          projectId: lead.projectId,
          to,
          from,
          body,
          key: `hot-lead:${lead.id}:${to}`,
          leadId: lead.id,
          purpose: "owner-alert",
          spend: "bridge",
          bridgeAtCap: settings.bridgeAtCap,
          zone: settings.timezone,
        },
        context,
      ),
    );
  }
  return sent;
}

/**
 * A caller left a voicemail: the owner gets who called, what they said (the
 * analysis' summary, or that there is no transcript) and a link to call them
 * back from the lead's page — once per call. Part of answering an inbound
 * call, so never shed at the spend cap.
 */
export async function textVoicemailAlert(
  call: Entity,
  lead: Entity | undefined,
  summary: string | undefined,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  const { settings } = await projectVoice(call.projectId, context);
  if (!settings.ownerPhone || !settings.trackingNumber) return { sent: false as const, reason: "no owner phone" };
  const caller = callSystem(call).from ?? "an unknown number";
  const who = lead && !lead.name.startsWith("Caller ") ? `${lead.name} (${caller})` : caller;
  const said = summary ? summary.slice(0, 200) : "(no transcript)";
  const link = lead ? ` Call back: ${new URL(`/leads/${lead.id}`, context.env.PUBLIC_BASE_URL).toString()}` : "";
  return sendSms(
    {
      projectId: call.projectId,
      to: settings.ownerPhone,
      from: settings.trackingNumber,
      body: `Voicemail from ${who}: ${said}${link}`,
      key: `voicemail:${call.id}`,
      leadId: lead?.id,
      purpose: "owner-alert",
      spend: "essential",
      zone: settings.timezone,
    },
    context,
  );
}
