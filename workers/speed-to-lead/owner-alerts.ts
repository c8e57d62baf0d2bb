import type { ServiceContext } from "../service-context";
import { spendState } from "../services/usage";
import { microsToUsd } from "../usage/prices";
import { projectVoice } from "./context";
import { sendSms } from "./messages";

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
      : `Apex: ${project.name} has spent ${spent} of its ${cap} monthly cap (80%). AI pauses at 90%, texts at 100%.`;
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
