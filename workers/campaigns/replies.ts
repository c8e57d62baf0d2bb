import { withTenant } from "../../schema/tenant-transaction";
import { recordAudit } from "../repositories/audit";
import {
  latestRecipientByPhone,
  recordDelivery,
  stopPhone,
  updateRecipient,
} from "../repositories/campaign-recipients";
import { setOptOut } from "../repositories/opt-outs";
import type { ServiceContext } from "../service-context";
import { type Entity, getEntity, reviseEntity } from "../services/entities";
import { projectVoice } from "../speed-to-lead/context";
import { sendSms } from "../speed-to-lead/messages";

/**
 * What comes back from a campaign's texts: Twilio's delivery reports, and
 * the recipients' own replies (threaded onto the lead by inboundSms first).
 */

type Context = Pick<ServiceContext, "env" | "db" | "actor"> & Partial<Pick<ServiceContext, "publish">>;

const DELIVERY = new Set(["sent", "delivered", "undelivered", "failed"]);
/** Twilio's error for a number that replied STOP to the carrier's own opt-out: it is ours to honour too. */
const UNSUBSCRIBED = "21610";

/** A message status callback for a campaign text: the recipient moves forward (never back). */
export async function campaignDelivery(form: Record<string, string>, context: Context) {
  const sid = form.MessageSid ?? "";
  const status = form.MessageStatus ?? form.SmsStatus ?? "";
  if (!sid || !DELIVERY.has(status)) return { applied: false };
  const errorCode = form.ErrorCode || undefined;
  const tenantId = context.actor.auth.tenantId;
  return withTenant(context.db, tenantId, async (tx) => {
    const row = await recordDelivery(tx, sid, status as "sent" | "delivered" | "undelivered" | "failed", errorCode);
    if (row && errorCode === UNSUBSCRIBED) {
      await setOptOut(tx, tenantId, row.phone, true, `twilio ${UNSUBSCRIBED}`);
      await stopPhone(tx, row.phone, new Date());
      await recordAudit(tx, context.actor, { action: "opt_out.carrier", after: { phone: row.phone, errorCode } });
    }
    return { applied: Boolean(row) };
  });
}

/** How long after a campaign text a text from the same number counts as its reply. */
const REPLY_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
/** Words that read as wanting the work done: the owner is offered a call back. */
const INTEREST =
  /\b(yes|yeah|yep|sure|interested|please|call me|book|schedule|appointment|available|quote|price|how much|when can)\b/i;

/** A number said STOP: every campaign's unsent text to it is refused at once. */
export async function campaignStop(phone: string, context: Pick<ServiceContext, "db" | "actor">) {
  return withTenant(context.db, context.actor.auth.tenantId, (tx) => stopPhone(tx, phone, new Date()));
}

/**
 * A text from a campaign's recipient (not an opt-out): marked replied once,
 * their lead reopened, and the owner told — with a call-back link when the
 * reply reads as interest.
 */
export async function campaignReply(projectId: string, from: string, body: string, context: Context) {
  const tenantId = context.actor.auth.tenantId;
  const now = new Date();
  const recipient = await withTenant(context.db, tenantId, async (tx) => {
    const row = await latestRecipientByPhone(tx, projectId, from, new Date(now.getTime() - REPLY_WINDOW_MS));
    if (!row || row.repliedAt) return undefined;
    await updateRecipient(tx, row.campaignId, row.leadId, { repliedAt: now });
    return row;
  });
  if (!recipient) return { replied: false };
  const interested = INTEREST.test(body);
  const lead = await reviseEntity(
    recipient.leadId,
    (current) => ({
      status: "new",
      system: {
        ...current.system,
        campaignReply: { campaignId: recipient.campaignId, at: now.toISOString(), interested },
      },
    }),
    context,
  );
  await alertOwner(lead, recipient.campaignId, body, interested, context);
  return { replied: true, interested, leadId: lead.id };
}

async function alertOwner(lead: Entity, campaignId: string, body: string, interested: boolean, context: Context) {
  const { settings } = await projectVoice(lead.projectId, context);
  if (!settings.ownerPhone || !settings.trackingNumber) return;
  const campaign = await getEntity(campaignId, context, true);
  const link = `${context.env.PUBLIC_BASE_URL.replace(/\/$/, "")}/leads/${lead.id}`;
  const said = body.length > 120 ? `${body.slice(0, 117)}...` : body;
  const offer = interested ? ` They sound interested: call them back from Apex: ${link}` : ` ${link}`;
  await sendSms(
    {
      projectId: lead.projectId,
      to: settings.ownerPhone,
      from: settings.trackingNumber,
      body: `Apex: ${lead.name} replied to "${campaign.name}": "${said}".${offer}`,
      key: `campaign-reply:${campaignId}:${lead.id}`,
      leadId: lead.id,
      purpose: "owner-alert",
      spend: "essential",
      zone: settings.timezone,
    },
    context,
  );
}
