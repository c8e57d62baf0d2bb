import { withTenant } from "../../schema/tenant-transaction";
import { localHourMinute, nextLocalTime } from "../contact/recipient-zone";
import type { Logger } from "../logger";
import {
  claimNextRecipient,
  type RecipientRow,
  remainingWork,
  sentSince,
  updateRecipient,
} from "../repositories/campaign-recipients";
import type { ServiceContext } from "../service-context";
import { getEntity } from "../services/entities";
import { webhookUrl } from "../speed-to-lead/context";
import { sendSms } from "../speed-to-lead/messages";
import { moveRun, wakeUpKey } from "./campaigns";
import { campaignSettings, runOf } from "./settings";

/**
 * The reactivator (`reactivator_agent`): sends a running campaign's texts,
 * one recipient at a time at the campaign's pace, for one stretch of
 * SENDING_STRETCH_MS, then hands back to the tenant object's wake-up for the
 * next stretch. Every text passes the one SMS sender (contact gate, spend
 * gate, the action ledger keyed by campaign + lead), so a crash, a retry, a
 * second sender or a resume never texts anyone twice. A sender that dies
 * leaves its claimed row to be re-taken after CLAIM_STALE_MS and its
 * wake-up to fire again after the watchdog interval.
 */
export const SENDING_STRETCH_MS = 20_000;
const LEASE_MS = SENDING_STRETCH_MS + 10_000;
const CLAIM_STALE_MS = 60_000;
/** Twilio answered 429 (or 20429, too many requests): the sender waits this long before its next text. */
const BACK_OFF_MS = 2_000;
/** A campaign's texts are never sent twice for as long as this (far past any campaign's life). */
const KEY_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

type Context = Pick<ServiceContext, "env" | "db" | "actor" | "publish"> & { log: Logger };

export interface StretchResult {
  sent: number;
  held: number;
  refused: number;
  failed: number;
  /** Why the stretch ended. */
  ended: "stretch-over" | "nothing-due" | "completed" | "not-running" | "daily-limit" | "spend-cap" | "busy";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Twilio's refusal of one message: its HTTP status and error code (a RestException), if that is what it was. */
function twilioRefusal(error: unknown): { status: number; code: number; message: string } | undefined {
  const e = error as { status?: unknown; code?: unknown; message?: unknown };
  if (typeof e?.status !== "number" || typeof e.code !== "number") return undefined;
  return { status: e.status, code: e.code, message: String(e.message ?? "") };
}

export async function sendCampaignStretch(
  campaignId: string,
  runnerId: string,
  context: Context,
): Promise<StretchResult> {
  const tenantId = context.actor.auth.tenantId;
  const object = context.env.TENANT.getByName(tenantId);
  const key = wakeUpKey(campaignId);
  const result: StretchResult = { sent: 0, held: 0, refused: 0, failed: 0, ended: "stretch-over" };
  if (!(await object.holdWakeUp(key, runnerId, LEASE_MS))) return { ...result, ended: "busy" };
  const deadline = Date.now() + SENDING_STRETCH_MS;
  let nextSendAt = Date.now();
  let nextDueAt = Date.now();
  try {
    for (;;) {
      const campaign = await getEntity(campaignId, context, true);
      const run = runOf(campaign.system);
      if (campaign.deletedAt || run.state !== "running") {
        await object.stopWakeUp(key);
        return { ...result, ended: "not-running" };
      }
      const settings = campaignSettings.safeParse(campaign.data);
      if (!settings.success || !run.from) {
        await moveRun(campaignId, ["running"], "paused", "campaign.pause", context, {
          code: "invalid-settings",
          detail: "The campaign's settings no longer pass validation; fix them and resume.",
        });
        await object.stopWakeUp(key);
        return { ...result, ended: "not-running" };
      }
      const zone = run.zone ?? "UTC";
      const now = new Date();
      const midnight = startOfLocalDay(now, zone);
      const sentToday = await withTenant(context.db, tenantId, (tx) => sentSince(tx, campaignId, midnight));
      if (sentToday >= settings.data.dailyLimit) {
        nextDueAt = nextLocalTime(now, zone, 0, 0).getTime();
        return { ...result, ended: "daily-limit" };
      }
      if (Date.now() >= deadline) {
        nextDueAt = Math.max(Date.now(), nextSendAt);
        return result;
      }
      const claimed = await withTenant(context.db, tenantId, (tx) =>
        claimNextRecipient(tx, campaignId, now, new Date(now.getTime() - CLAIM_STALE_MS)),
      );
      if (!claimed) {
        const left = await withTenant(context.db, tenantId, (tx) => remainingWork(tx, campaignId));
        if (left.open === 0) {
          await moveRun(campaignId, ["running"], "completed", "campaign.complete", context);
          await object.stopWakeUp(key);
          return { ...result, ended: "completed" };
        }
        // Rows held for quiet hours, or claimed by a sender that may still be alive.
        nextDueAt = Math.max(Date.now() + 1_000, left.earliest?.getTime() ?? 0);
        return { ...result, ended: "nothing-due" };
      }
      await sleep(nextSendAt - Date.now());
      await object.holdWakeUp(key, runnerId, LEASE_MS);
      const outcome = await sendOne(
        claimed,
        { campaignId, projectId: campaign.projectId, from: run.from, zone, window: settings.data.sendWindow },
        context,
      );
      result[outcome.counted] += 1;
      nextSendAt = Date.now() + 1_000 / settings.data.pacePerSecond + (outcome.backOff ? BACK_OFF_MS : 0);
      if (outcome.pause) {
        await moveRun(campaignId, ["running"], "paused", "campaign.pause", context, outcome.pause);
        await object.stopWakeUp(key);
        return { ...result, ended: "spend-cap" };
      }
    }
  } finally {
    await object.releaseWakeUp(key, runnerId, nextDueAt);
  }
}

/** Local midnight today in `zone`: the daily limit counts from it. */
function startOfLocalDay(at: Date, zone: string): Date {
  const { hour, minute } = localHourMinute(at, zone);
  return new Date(at.getTime() - (hour * 60 + minute) * 60_000 - at.getUTCSeconds() * 1000 - at.getUTCMilliseconds());
}

interface SendOutcome {
  counted: "sent" | "held" | "refused" | "failed";
  backOff?: boolean;
  pause?: { code: string; detail: string };
}

interface Sending {
  campaignId: string;
  projectId: string;
  from: string;
  zone: string;
  window: { start: number; end: number };
}

async function sendOne(recipient: RecipientRow, sending: Sending, context: Context): Promise<SendOutcome> {
  const { campaignId, from, zone, window } = sending;
  const tenantId = context.actor.auth.tenantId;
  const save = (patch: Parameters<typeof updateRecipient>[3]) =>
    withTenant(context.db, tenantId, (tx) => updateRecipient(tx, campaignId, recipient.leadId, patch));
  let outcome: Awaited<ReturnType<typeof sendSms>>;
  try {
    outcome = await sendSms(
      {
        projectId: sending.projectId,
        to: recipient.phone,
        from,
        body: recipient.body ?? "",
        key: `campaign:${campaignId}:${recipient.leadId}`,
        keyRetentionMs: KEY_RETENTION_MS,
        leadId: recipient.leadId,
        purpose: "marketing",
        spend: "outbound-text",
        zone,
        window,
        statusCallback: webhookUrl(context.env, "message-status", { tenant: tenantId, campaign: campaignId }),
      },
      context,
    );
  } catch (error) {
    const refusal = twilioRefusal(error);
    if (refusal && (refusal.status === 429 || refusal.code === 20429)) {
      await save({ status: "queued", claimedAt: null, notBefore: new Date(Date.now() + BACK_OFF_MS) });
      return { counted: "held", backOff: true };
    }
    if (refusal && refusal.status < 500) {
      // Twilio refused this message for good (21211 invalid number, 21610 unsubscribed…): nothing was sent.
      await save({ status: "failed", errorCode: String(refusal.code), detail: refusal.message.slice(0, 500) });
      return { counted: "failed" };
    }
    // Anything else: the row waits for a later stretch; the ledger keeps a text that did go from going twice.
    context.log.warn("campaign text failed; retrying later", { campaignId, error: String(error) });
    await save({ status: "queued", claimedAt: null, notBefore: new Date(Date.now() + 30_000) });
    return { counted: "held", backOff: true };
  }
  if (outcome.sent) {
    await save({ status: "sent", messageSid: outcome.sid, sentAt: new Date(), reason: null, detail: null });
    return { counted: "sent" };
  }
  switch (outcome.reason) {
    case "quiet-hours":
      await save({
        status: "queued",
        claimedAt: null,
        notBefore: outcome.retryAt ? new Date(outcome.retryAt) : new Date(Date.now() + 3_600_000),
        reason: "quiet-hours",
        detail: outcome.detail,
      });
      return { counted: "held" };
    case "spend-cap":
      await save({ status: "queued", claimedAt: null });
      return { counted: "held", pause: { code: "spend-cap", detail: outcome.detail } };
    default:
      await save({ status: "refused", reason: outcome.reason, detail: outcome.detail });
      return { counted: "refused" };
  }
}
