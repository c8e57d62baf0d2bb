import { withTenant } from "../../schema/tenant-transaction";
import { problems } from "../problems";
import {
  audienceCandidates,
  cancelUnsent,
  insertRecipients,
  listRecipients,
  optedOutPhones,
  phonesWithOpenLeads,
  type RecipientCounts,
  recipientCounts,
  textHistoryOf,
} from "../repositories/campaign-recipients";
import { findProject } from "../repositories/projects";
import type { ServiceContext } from "../service-context";
import { speedToLeadSettings } from "../services/dna";
import { createEntity, type Entity, getEntity, reviseEntityWith } from "../services/entities";
import { projectArchived } from "../services/projects";
import { spendState } from "../services/usage";
import { costMicros, microsToUsd, monthOf } from "../usage/prices";
import { decideAudience, type Excluded, type Included } from "./audience";
import {
  type CampaignInput,
  type CampaignRun,
  type CampaignSettings,
  type CampaignState,
  campaignInput,
  campaignSettings,
  runOf,
} from "./settings";

/**
 * Reactivation campaigns (issue #16): a `campaign` entity holds what a
 * person decided (`data`: audience, template, window, limits) and Apex's run
 * (`system.run`). A preview shows who it would reach and who not, and why;
 * a launch (an admin's act) fixes the recipients in one transaction with the
 * run's start, then hands the sending to the tenant object's wake-up, which
 * sends the reactivator until the campaign is done — across a restart.
 */

type Context = Pick<ServiceContext, "env" | "db" | "actor" | "publish" | "idempotency">;

export const wakeUpKey = (campaignId: string) => `campaign:${campaignId}`;

export interface CampaignView {
  id: string;
  projectId: string;
  name: string;
  version: number;
  settings: CampaignSettings | null;
  /** Set when `data` no longer passes the settings schema (edited through the generic entities API). */
  settingsError?: string;
  run: CampaignRun;
  counts: RecipientCounts;
  spentUsd: number;
  createdAt: string;
  updatedAt: string;
}

function settingsOf(campaign: Entity): { settings: CampaignSettings | null; error?: string } {
  const parsed = campaignSettings.safeParse(campaign.data);
  if (parsed.success) return { settings: parsed.data };
  return { settings: null, error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
}

async function campaignOf(id: string, context: Pick<ServiceContext, "db" | "actor">): Promise<Entity> {
  const campaign = await getEntity(id, context);
  if (campaign.type !== "campaign") throw problems.notFound(`No campaign ${id}.`);
  return campaign;
}

async function view(campaign: Entity, context: Pick<ServiceContext, "db" | "actor">): Promise<CampaignView> {
  const counts = await withTenant(context.db, context.actor.auth.tenantId, (tx) => recipientCounts(tx, campaign.id));
  const { settings, error } = settingsOf(campaign);
  return {
    id: campaign.id,
    projectId: campaign.projectId,
    name: campaign.name,
    version: campaign.version,
    settings,
    ...(error ? { settingsError: error } : {}),
    run: runOf(campaign.system),
    counts,
    spentUsd: microsToUsd(costMicros("sms_segment", counts.segments)),
    createdAt: campaign.createdAt,
    updatedAt: campaign.updatedAt,
  };
}

export async function createCampaign(raw: CampaignInput, context: Context): Promise<CampaignView> {
  const input = campaignInput.parse(raw);
  await withTenant(context.db, context.actor.auth.tenantId, async (tx) => {
    const project = await findProject(tx, input.projectId);
    if (!project) throw problems.validation([{ field: "projectId", message: "no such project" }]);
    if (project.archivedAt) throw projectArchived(input.projectId);
  });
  const campaign = await createEntity(
    {
      projectId: input.projectId,
      type: "campaign",
      name: input.name,
      status: "draft",
      data: input.settings,
      system: { run: { state: "draft" } satisfies CampaignRun },
    },
    context,
  );
  return view(campaign, context);
}

export async function getCampaign(id: string, context: Context): Promise<CampaignView> {
  return view(await campaignOf(id, context), context);
}

/** Who the campaign would reach now, and who not and why: the same decision the launch makes. */
async function decide(campaign: Entity, settings: CampaignSettings, context: Pick<ServiceContext, "db" | "actor">) {
  return withTenant(context.db, context.actor.auth.tenantId, async (tx) => {
    const project = await findProject(tx, campaign.projectId);
    if (!project) throw problems.notFound(`No project ${campaign.projectId}.`);
    const candidates = await audienceCandidates(tx, campaign.projectId, settings.audience.statuses);
    const phones = [
      ...new Set(candidates.map((c) => (c.data as { phone?: unknown }).phone).filter((p) => typeof p === "string")),
    ] as string[];
    const [optedOut, openLeadPhones, textHistory, voice] = [
      await optedOutPhones(tx, phones),
      await phonesWithOpenLeads(tx, campaign.projectId, phones),
      await textHistoryOf(tx, phones),
      await speedToLeadSettings(tx, campaign.projectId),
    ];
    // An open lead is the candidate itself only if it is not closed; candidates are closed statuses, so any hit is another lead.
    const decided = decideAudience(
      candidates.map((c) => ({ ...c, status: c.status })),
      settings,
      { optedOut, openLeadPhones, textHistory, businessName: project.name, now: new Date() },
    );
    return { ...decided, project, voice };
  });
}

export interface CampaignPreview {
  audience: number;
  excluded: { total: number; byReason: Record<string, number>; sample: Excluded[] };
  samples: Included[];
  segments: { total: number; gsm7Messages: number; ucs2Messages: number; largestMessage: number };
  cost: { estimatedUsd: number; spentThisMonthUsd: number; capUsd: number | null; fitsUnderCap: boolean };
  /** The sending time at the campaign's pace and daily limit, ignoring quiet hours. */
  estimatedDays: number;
}

export async function previewCampaign(id: string, context: Context): Promise<CampaignPreview> {
  const campaign = await campaignOf(id, context);
  const { settings, error } = settingsOf(campaign);
  if (!settings) throw problems.validation([{ field: "settings", message: error ?? "invalid" }]);
  const { included, excluded } = await decide(campaign, settings, context);
  const byReason: Record<string, number> = {};
  for (const e of excluded) byReason[e.reason] = (byReason[e.reason] ?? 0) + 1;
  const totalSegments = included.reduce((n, r) => n + r.segments, 0);
  const estimatedMicros = costMicros("sms_segment", totalSegments);
  const spend = await spendState(campaign.projectId, monthOf(Date.now()), context);
  return {
    audience: included.length,
    excluded: { total: excluded.length, byReason, sample: excluded.slice(0, 20) },
    samples: included.slice(0, 5),
    segments: {
      total: totalSegments,
      gsm7Messages: included.filter((r) => r.encoding === "GSM-7").length,
      ucs2Messages: included.filter((r) => r.encoding === "UCS-2").length,
      largestMessage: Math.max(0, ...included.map((r) => r.segments)),
    },
    cost: {
      estimatedUsd: microsToUsd(estimatedMicros),
      spentThisMonthUsd: microsToUsd(spend.totalMicros),
      capUsd: spend.capMicros === null ? null : microsToUsd(spend.capMicros),
      fitsUnderCap: spend.capMicros === null || spend.totalMicros + estimatedMicros <= spend.capMicros,
    },
    estimatedDays: Math.max(1, Math.ceil(included.length / settings.dailyLimit)),
  };
}

function conflictUnless(run: CampaignRun, allowed: readonly CampaignState[], action: string) {
  if (!allowed.includes(run.state)) {
    throw problems.conflict("campaign-state", `A ${run.state} campaign cannot be ${action}.`);
  }
}

/**
 * Fixes the recipients (and who is left out, with the reason) and starts
 * the run, in one transaction; then the tenant object's wake-up starts the
 * sender. Needs the project's number to send from.
 */
export async function launchCampaign(id: string, context: Context): Promise<CampaignView> {
  const campaign = await campaignOf(id, context);
  // Launched already (a retry after a lost answer): make sure it is sending, and answer as the launch did.
  if (runOf(campaign.system).state === "running") {
    await wake(id, context);
    return view(campaign, context);
  }
  conflictUnless(runOf(campaign.system), ["draft"], "launched");
  const { settings, error } = settingsOf(campaign);
  if (!settings) throw problems.validation([{ field: "settings", message: error ?? "invalid" }]);
  const { included, excluded, project, voice } = await decide(campaign, settings, context);
  if (project.archivedAt) throw projectArchived(project.id);
  const from = voice?.trackingNumber;
  if (!from) throw problems.validation([{ field: "projectId", message: "the project has no number to text from" }]);
  const tenantId = context.actor.auth.tenantId;
  const launched = await reviseEntityWith(
    id,
    "campaign.launch",
    async (current, tx) => {
      conflictUnless(runOf(current.system), ["draft"], "launched");
      await insertRecipients(tx, [
        ...included.map((r) => ({
          tenantId,
          campaignId: id,
          leadId: r.leadId,
          phone: r.phone,
          status: "queued",
          body: r.body,
          segments: r.segments,
        })),
        ...excluded.map((r) => ({
          tenantId,
          campaignId: id,
          leadId: r.leadId,
          phone: r.phone,
          status: "excluded",
          reason: r.reason,
          detail: r.detail,
        })),
      ]);
      const run: CampaignRun = {
        state: "running",
        launchedAt: new Date().toISOString(),
        launchedBy: context.actor.auth.userId ?? context.actor.auth.apiKeyId ?? null,
        from,
        zone: voice?.timezone ?? "UTC",
      };
      return { status: "running", system: { ...current.system, run } };
    },
    context,
  );
  await wake(id, context);
  return view(launched, context);
}

async function wake(id: string, context: Pick<ServiceContext, "env" | "actor">) {
  const tenantId = context.actor.auth.tenantId;
  await context.env.TENANT.getByName(tenantId).setWakeUp(
    tenantId,
    wakeUpKey(id),
    "reactivator_agent",
    { campaignId: id },
    Date.now(),
  );
}

/** Moves the run from one of `from` to `to`, audited as `action`. */
export async function moveRun(
  id: string,
  from: readonly CampaignState[],
  to: CampaignState,
  action: string,
  context: Pick<ServiceContext, "db" | "actor" | "publish" | "idempotency">,
  reason?: { code: string; detail: string },
): Promise<Entity> {
  return reviseEntityWith(
    id,
    action,
    async (current, tx) => {
      const run = runOf(current.system);
      conflictUnless(run, from, to === "paused" ? "paused" : to === "running" ? "resumed" : to);
      if (to === "cancelled") {
        // Not sent, and never will be: the report counts them as cancelled.
        await cancelUnsent(tx, id);
      }
      const next: CampaignRun = {
        ...run,
        state: to,
        ...(reason ? { pausedReason: reason.code, pausedDetail: reason.detail } : {}),
        ...(to === "running" ? { pausedReason: undefined, pausedDetail: undefined } : {}),
        ...(to === "cancelled" || to === "completed" ? { finishedAt: new Date().toISOString() } : {}),
      };
      return { status: to, system: { ...current.system, run: JSON.parse(JSON.stringify(next)) } };
    },
    context,
  );
}

export async function pauseCampaign(id: string, context: Context): Promise<CampaignView> {
  await campaignOf(id, context);
  const paused = await moveRun(id, ["running"], "paused", "campaign.pause", context, {
    code: "paused-by-user",
    detail: "Paused by a person.",
  });
  return view(paused, context);
}

export async function resumeCampaign(id: string, context: Context): Promise<CampaignView> {
  const campaign = await campaignOf(id, context);
  // Running already: a retry, or a run whose wake-up went missing; either way it is (again) sending.
  if (runOf(campaign.system).state === "running") {
    await wake(id, context);
    return view(campaign, context);
  }
  const resumed = await moveRun(id, ["paused"], "running", "campaign.resume", context);
  await wake(id, context);
  return view(resumed, context);
}

export async function cancelCampaign(id: string, context: Context): Promise<CampaignView> {
  await campaignOf(id, context);
  const cancelled = await moveRun(id, ["draft", "running", "paused"], "cancelled", "campaign.cancel", context);
  await context.env.TENANT.getByName(context.actor.auth.tenantId).stopWakeUp(wakeUpKey(id));
  return view(cancelled, context);
}

export async function campaignRecipients(
  id: string,
  options: { status?: string | undefined; limit: number; after?: string | undefined },
  context: Context,
) {
  await campaignOf(id, context);
  const rows = await withTenant(context.db, context.actor.auth.tenantId, (tx) => listRecipients(tx, id, options));
  return {
    items: rows.map((r) => ({
      leadId: r.leadId,
      phone: r.phone,
      status: r.status,
      reason: r.reason,
      detail: r.detail,
      body: r.body,
      segments: r.segments,
      errorCode: r.errorCode,
      messageSid: r.messageSid,
      notBefore: r.notBefore?.toISOString() ?? null,
      sentAt: r.sentAt?.toISOString() ?? null,
      repliedAt: r.repliedAt?.toISOString() ?? null,
      optedOutAt: r.optedOutAt?.toISOString() ?? null,
    })),
    nextCursor: rows.length === options.limit ? rows[rows.length - 1]?.leadId : undefined,
  };
}
