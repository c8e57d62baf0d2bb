import { Problem } from "../problems";
import type { ServiceContext } from "../service-context";
import { microsToUsd, monthOf } from "../usage/prices";
import { spendState } from "./usage";

/**
 * The one spend gate. Every path that is about to spend — an API call, an
 * intake, a queued agent, a cron run, a Twilio callback — asks here first,
 * naming what kind of spend it is; the answer depends only on the kind, the
 * project's month so far and its cap (docs/decisions/018-one-spend-gate.md).
 *
 * Shed order as the month's spend nears the cap:
 * - the lead hunter (its browser and its reading of posts) stops first, at
 *   80 % of the cap: it finds new work, it answers nobody who is waiting;
 * - optional AI (scoring, analysis, transcription, pSEO) stops at
 *   90 % of the cap, so the last tenth is kept for reaching customers;
 * - outbound texts stop at the cap;
 * - the bridge call stops at the cap only if the owner chose so
 *   (`bridgeAtCap: "pause"`); the default keeps calling and alerts the owner;
 * - essentials are never shed: forwarding a customer's inbound call, opt-out
 *   handling, the owner's account alerts, and keeping what a call already
 *   produced (its recording).
 * Whatever did get spent is recorded, cap or no cap (services/usage.ts).
 */
export type SpendKind = "essential" | "bridge" | "outbound-text" | "optional-ai" | "hunting" | "phone-number";

/** The fraction of the cap at which each kind is shed (null: never). */
const SHED_AT: Record<Exclude<SpendKind, "bridge">, number | null> = {
  essential: null,
  hunting: 0.8,
  "optional-ai": 0.9,
  "outbound-text": 1,
  "phone-number": 1,
};

export type SpendDecision =
  | { allowed: true }
  | { allowed: false; reason: "spend-cap"; kind: SpendKind; spentUsd: number; capUsd: number; detail: string };

type GateContext = Pick<ServiceContext, "env" | "db" | "actor">;

export async function spendGate(
  projectId: string,
  kind: SpendKind,
  context: GateContext,
  options: { bridgeAtCap?: "keep-calling" | "pause" } = {},
): Promise<SpendDecision> {
  const shedAt = kind === "bridge" ? (options.bridgeAtCap === "pause" ? 1 : null) : SHED_AT[kind];
  if (shedAt === null) return { allowed: true };
  const state = await spendState(projectId, monthOf(Date.now()), context);
  if (state.capMicros === null || state.totalMicros < state.capMicros * shedAt) return { allowed: true };
  const spentUsd = microsToUsd(state.totalMicros);
  const capUsd = microsToUsd(state.capMicros);
  const where = shedAt < 1 ? `${Math.round(shedAt * 100)} % of its cap` : "its cap";
  return {
    allowed: false,
    reason: "spend-cap",
    kind,
    spentUsd,
    capUsd,
    detail: `${KIND_LABEL[kind]} paused: the project has spent $${spentUsd.toFixed(2)} this month, at or over ${where} ($${capUsd.toFixed(2)}).`,
  };
}

const KIND_LABEL: Record<SpendKind, string> = {
  essential: "Essential spending",
  bridge: "Bridge calls",
  "outbound-text": "Outbound texts",
  "optional-ai": "Optional AI",
  hunting: "The lead hunter",
  "phone-number": "Buying phone numbers",
};

/** A refusal as the API and task starts answer it: 402, naming the project. */
export function spendRefused(projectId: string, decision: Extract<SpendDecision, { allowed: false }>): Problem {
  return new Problem({
    status: 402,
    code: "spend-cap-reached",
    title: "Monthly spend cap reached",
    detail: `${decision.detail} Raise the cap (PUT /api/v1/projects/${projectId}/spend-cap) to resume.`,
    errors: [{ field: "projectId", message: "project is paused by its monthly spend cap" }],
  });
}

/** For callers that answer a person (the API, a task start): refused is a 402. */
export async function requireSpend(
  projectId: string,
  kind: SpendKind,
  context: GateContext,
  options: { bridgeAtCap?: "keep-calling" | "pause" } = {},
): Promise<void> {
  const decision = await spendGate(projectId, kind, context, options);
  if (!decision.allowed) throw spendRefused(projectId, decision);
}
