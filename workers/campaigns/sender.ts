import { withTenant } from "../../schema/tenant-transaction";
import { localHourMinute, nextLocalTime } from "../contact/recipient-zone";
import { twilioClient } from "../integrations/twilio/client";
import type { Logger } from "../logger";
import { Problem } from "../problems";
import {
  claimNextRecipient,
  type RecipientRow,
  remainingWork,
  sentSince,
  stillClaimed,
  updateRecipient,
} from "../repositories/campaign-recipients";
import type { ServiceContext } from "../service-context";
import { getEntity } from "../services/entities";
import { doneAction } from "../services/external-actions";
import { tenantTwilio } from "../services/twilio-accounts";
import { webhookUrl } from "../speed-to-lead/context";
import { sendSms } from "../speed-to-lead/messages";
import { moveRun, wakeUpKey } from "./campaigns";
import { campaignSettings, runOf } from "./settings";

/**
 * The reactivator (`reactivator_agent`): sends a running campaign's texts at
 * the campaign's pace for one stretch of SENDING_STRETCH_MS, then hands back
 * to the tenant object's wake-up for the next stretch. The stretch is short
 * because it holds a bulk-lane batch: another tenant's bulk message waits for
 * the batch to return (measured: a 60 s stretch kept another tenant's
 * 3-record export waiting 62 s). Each hand-back costs up to the bulk lane's
 * 1 s batch timeout, a tenth of the stretch at most. Every text passes the one
 * SMS sender (contact gate, spend gate, the action ledger keyed by campaign +
 * lead), so a retry, a second sender or a resume never texts anyone twice. A
 * sender that dies leaves its claimed row to be re-taken after
 * CLAIM_STALE_MS (asking Twilio first whether the text went) and its wake-up
 * to fire again after the watchdog interval.
 */
export const SENDING_STRETCH_MS = 10_000;
/** Renewed at every check (each second), so it only has to outlast one text in hand. */
const LEASE_MS = 30_000;
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
  /** Why the stretch ended ("busy": another sender holds the campaign). */
  ended: "stretch-over" | "nothing-due" | "completed" | "not-running" | "daily-limit" | "spend-cap" | "busy";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Twilio's refusal of one message: its HTTP status and error code (a RestException), if that is what it was. */
function twilioRefusal(error: unknown): { status: number; code: number; message: string } | undefined {
  const e = error as { status?: unknown; code?: unknown; message?: unknown };
  if (typeof e?.status !== "number" || typeof e.code !== "number") return undefined;
  return { status: e.status, code: e.code, message: String(e.message ?? "") };
}

/** How often a stretch reads the run again (a pause or cancel takes effect within this) and renews its lease. */
const CHECK_EVERY_MS = 1_000;

type RunCheck =
  | { go: false; ended: StretchResult["ended"] }
  | {
      go: true;
      sending: Sending;
      pacePerSecond: number;
      dailyLimit: number;
      sentToday: number;
    };

/** The run as it stands: still running, with valid settings, and how many it sent today (its daily limit). */
async function checkRun(campaignId: string, context: Context): Promise<RunCheck> {
  const tenantId = context.actor.auth.tenantId;
  const campaign = await getEntity(campaignId, context, true);
  const run = runOf(campaign.system);
  if (campaign.deletedAt || run.state !== "running") return { go: false, ended: "not-running" };
  const settings = campaignSettings.safeParse(campaign.data);
  if (!settings.success || !run.from) {
    await moveIfRunning(campaignId, "paused", "campaign.pause", context, {
      code: "invalid-settings",
      detail: "The campaign's settings no longer pass validation; fix them and resume.",
    });
    return { go: false, ended: "not-running" };
  }
  const zone = run.zone ?? "UTC";
  const midnight = startOfLocalDay(new Date(), zone);
  const sentToday = await withTenant(context.db, tenantId, (tx) => sentSince(tx, campaignId, midnight));
  return {
    go: true,
    sending: { campaignId, projectId: campaign.projectId, from: run.from, zone, window: settings.data.sendWindow },
    pacePerSecond: settings.data.pacePerSecond,
    dailyLimit: settings.data.dailyLimit,
    sentToday,
  };
}

/**
 * One stretch: a few lanes side by side (one per 4 texts a second of pace),
 * each claiming a recipient and sending it in the next free slot of the
 * campaign's pace, so the pace holds even when one text takes longer than
 * its slot. The first lane to find nothing due, the limit reached or the
 * run stopped ends the stretch; the others finish the text in hand.
 */
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
  let nextDueAt = Date.now();
  let ended: StretchResult["ended"] | undefined;
  let pause: { code: string; detail: string } | undefined;
  try {
    let check = await checkRun(campaignId, context);
    if (!check.go) {
      await object.stopWakeUp(key);
      return { ...result, ended: check.ended };
    }
    let current = check;
    let lastCheckAt = Date.now();
    let nextSlot = Date.now();
    let inHand = 0;
    const interval = 1_000 / current.pacePerSecond;
    const lane = async () => {
      while (!ended) {
        if (Date.now() >= deadline) {
          ended = "stretch-over";
          return;
        }
        if (Date.now() - lastCheckAt >= CHECK_EVERY_MS) {
          lastCheckAt = Date.now();
          check = await checkRun(campaignId, context);
          if (!check.go) {
            ended ??= check.ended;
            return;
          }
          current = check;
          // A sender whose lease ran out (a call that hung) stops: another holds the campaign now.
          if (!(await object.holdWakeUp(key, runnerId, LEASE_MS))) {
            ended ??= "busy";
            return;
          }
        }
        // Counted before the claim, synchronously, so the lanes together never pass the daily limit.
        if (current.sentToday + inHand >= current.dailyLimit) {
          ended ??= "daily-limit";
          return;
        }
        inHand += 1;
        let outcome: SendOutcome | undefined;
        try {
          const now = new Date();
          const claimed = await withTenant(context.db, tenantId, (tx) =>
            claimNextRecipient(tx, campaignId, now, new Date(now.getTime() - CLAIM_STALE_MS)),
          );
          if (!claimed) {
            ended ??= "nothing-due";
            return;
          }
          const slot = Math.max(nextSlot, Date.now());
          nextSlot = slot + interval;
          await sleep(slot - Date.now());
          outcome = await sendOne(claimed.row, claimed.retakenFrom, current.sending, context);
        } finally {
          inHand -= 1;
        }
        result[outcome.counted] += 1;
        if (outcome.counted === "sent") current.sentToday += 1;
        if (outcome.backOff) nextSlot = Math.max(nextSlot, Date.now() + BACK_OFF_MS);
        if (outcome.pause) {
          pause ??= outcome.pause;
          ended = "spend-cap";
          return;
        }
      }
    };
    const lanes = Math.max(1, Math.min(8, Math.ceil(current.pacePerSecond / 4)));
    await Promise.all(Array.from({ length: lanes }, lane));
    result.ended = ended ?? "stretch-over";
    switch (result.ended) {
      case "not-running":
        await stopUnlessRunning(campaignId, key, context);
        break;
      case "spend-cap":
        await moveIfRunning(campaignId, "paused", "campaign.pause", context, pause);
        await stopUnlessRunning(campaignId, key, context);
        break;
      case "busy":
        return result;
      case "daily-limit":
        // Tomorrow, when the window opens where the project is (not at midnight, to walk every row into quiet hours).
        nextDueAt = nextLocalTime(new Date(), current.sending.zone, current.sending.window.start, 0).getTime();
        break;
      case "nothing-due": {
        const left = await withTenant(context.db, tenantId, (tx) => remainingWork(tx, campaignId));
        if (left.open === 0) {
          await moveIfRunning(campaignId, "completed", "campaign.complete", context);
          await stopUnlessRunning(campaignId, key, context);
          result.ended = "completed";
        } else {
          // Rows held for quiet hours, or claimed by a sender that may still be alive.
          nextDueAt = Math.max(Date.now() + 1_000, left.earliest?.getTime() ?? 0);
        }
        break;
      }
      default:
        nextDueAt = Math.max(Date.now(), nextSlot);
    }
    return result;
  } finally {
    await object.releaseWakeUp(key, runnerId, nextDueAt);
  }
}

/**
 * A stopped run's wake-up goes, unless a person resumed it meanwhile (their
 * resume set the wake-up again: removing it would strand a running campaign).
 */
async function stopUnlessRunning(campaignId: string, key: string, context: Context) {
  const campaign = await getEntity(campaignId, context, true);
  if (!campaign.deletedAt && runOf(campaign.system).state === "running") return;
  await context.env.TENANT.getByName(context.actor.auth.tenantId).stopWakeUp(key);
}

/** The sender's own moves of the run; a person who paused or cancelled it meanwhile has the last word. */
async function moveIfRunning(
  campaignId: string,
  to: "paused" | "completed",
  action: string,
  context: Context,
  reason?: { code: string; detail: string },
) {
  try {
    await moveRun(campaignId, ["running"], to, action, context, reason);
  } catch (error) {
    if (!(error instanceof Problem && error.status === 409)) throw error;
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

async function sendOne(
  recipient: RecipientRow,
  retakenFrom: Date | undefined,
  sending: Sending,
  context: Context,
): Promise<SendOutcome> {
  const { campaignId, from, zone, window } = sending;
  const tenantId = context.actor.auth.tenantId;
  const key = `campaign:${campaignId}:${recipient.leadId}`;
  const claimedAt = recipient.claimedAt ?? new Date(0);
  // A text that went is recorded whatever happened to the row meanwhile (it went);
  // any other outcome only while the row is still this sender's, so a cancel is never undone.
  const save = (patch: Parameters<typeof updateRecipient>[3]) =>
    withTenant(context.db, tenantId, (tx) =>
      patch.status === "sent"
        ? updateRecipient(tx, campaignId, recipient.leadId, patch)
        : updateRecipient(tx, campaignId, recipient.leadId, patch, claimedAt),
    );
  let outcome: Awaited<ReturnType<typeof sendSms>>;
  // Cancelled (or re-taken) while this sender waited for its slot: the text is not sent.
  if (!(await withTenant(context.db, tenantId, (tx) => stillClaimed(tx, campaignId, recipient.leadId, claimedAt)))) {
    return { counted: "held" };
  }
  if (retakenFrom) {
    // A sender died holding this row. If Twilio has the text, it went: record it, send nothing.
    const earlier = await textAlreadyAtTwilio(recipient, from, retakenFrom, key, context);
    if (earlier) {
      await save({ status: "sent", messageSid: earlier, sentAt: new Date(), reason: null, detail: null });
      return { counted: "sent" };
    }
  }
  try {
    outcome = await sendSms(
      {
        projectId: sending.projectId,
        to: recipient.phone,
        from,
        body: recipient.body ?? "",
        key,
        keyRetentionMs: KEY_RETENTION_MS,
        leadId: recipient.leadId,
        purpose: "marketing",
        spend: "outbound-text",
        zone,
        window,
        statusCallback: webhookUrl(context.env, "message-status", { tenant: tenantId, campaign: campaignId }),
        afterSend: (sid) => save({ status: "sent", messageSid: sid, sentAt: new Date(), reason: null, detail: null }),
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
  // Sent: the row was marked by afterSend, before Twilio's first delivery report could arrive.
  if (outcome.sent) return { counted: "sent" };
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

/**
 * Whether the text a dead sender was sending reached Twilio: the action
 * ledger's stored answer if the sender lived to record it, else Twilio's own
 * list of texts from this number to this person since the sender's claim
 * (Twilio takes no idempotency key, so asking it is the only way to know).
 */
async function textAlreadyAtTwilio(
  recipient: RecipientRow,
  from: string,
  claimedAt: Date,
  key: string,
  context: Context,
): Promise<string | undefined> {
  const recorded = await doneAction<{ sid: string }>(context.env, context.actor.auth.tenantId, `sms:${key}`);
  if (recorded) return recorded.sid;
  const listed = await twilioClient(await tenantTwilio(context)).messages.list({
    to: recipient.phone,
    from,
    limit: 20,
  });
  // Twilio's dateCreated is to the second: a second's slack before the claim.
  const found = listed.find((m) => m.body === recipient.body && m.dateCreated.getTime() >= claimedAt.getTime() - 1_000);
  return found?.sid;
}
