import { withTenant } from "../../schema/tenant-transaction";
import { twilioClient } from "../integrations/twilio/client";
import { toE164 } from "../phone";
import { type Problem, problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import { claimSubaccountNumber, deleteNumber, findNumber, numbersOfProject } from "../repositories/phone-numbers";
import { findProject } from "../repositories/projects";
import { claimHolder } from "../repositories/tracking-numbers";
import type { ServiceContext } from "../service-context";
import { requireTwilio, webhookUrl } from "../speed-to-lead/context";
import { publishFallback, withdrawFallback } from "../speed-to-lead/fallback-twiml";
import { getSpeedToLeadSettings, putSpeedToLeadSettings } from "../speed-to-lead/settings-store";
import { HOUR_MS, onceOnly } from "./external-actions";
import { projectArchived } from "./projects";
import { requireSpend, type SpendKind } from "./spend-gate";
import { ensureSubaccount, platformTwilio, tenantTwilio } from "./twilio-accounts";
import { recordUsage } from "./usage";

/**
 * A project's phone numbers: search for local numbers by area code and buy
 * one into the tenant's subaccount, or attach one the subaccount already holds;
 * Apex itself points the number's voice, SMS, status and fallback URLs at the
 * right places; release gives it back. The number a project buys or attaches
 * becomes its tracking number (the bridge's caller id, the number customers
 * call). Decision 024.
 */
type Context = Pick<ServiceContext, "env" | "db" | "actor">;

export interface PhoneNumberView {
  number: string;
  origin: "typed" | "purchased" | "attached";
  /** Twilio's sid, when the number lives in the tenant's subaccount. */
  sid: string | null;
  /** The number the bridge calls from and customers call. */
  tracking: boolean;
  claimedAt: string;
}

export interface AvailableNumber {
  phoneNumber: string;
  friendlyName: string;
  locality: string | null;
  region: string | null;
}

async function requireProject(projectId: string, context: Context) {
  const project = await withTenant(context.db, context.actor.auth.tenantId, (tx) => findProject(tx, projectId));
  if (!project) throw problems.notFound(`No project ${projectId}.`);
  return project;
}

/** Numbers are for active projects: an archived one takes no calls to be wired for. */
async function requireActiveProject(projectId: string, context: Context) {
  const project = await requireProject(projectId, context);
  if (project.archivedAt) throw projectArchived(projectId);
  return project;
}

export async function listPhoneNumbers(projectId: string, context: Context): Promise<PhoneNumberView[]> {
  await requireProject(projectId, context);
  const { settings } = await getSpeedToLeadSettings(projectId, context);
  const rows = await withTenant(context.db, context.actor.auth.tenantId, (tx) => numbersOfProject(tx, projectId));
  return rows.map((row) => ({
    number: row.number,
    origin: row.origin as PhoneNumberView["origin"],
    sid: row.phoneNumberSid,
    tracking: row.number === settings.trackingNumber,
    claimedAt: row.claimedAt.toISOString(),
  }));
}

/** Twilio refused (a RestException): its message, as a problem the owner can act on. */
function twilioRefusal(error: unknown, field: string): Problem | undefined {
  const { status, code, message } = error as { status?: unknown; code?: unknown; message?: unknown };
  if (typeof status !== "number" || typeof code !== "number") return undefined;
  if (status >= 500) return undefined;
  return problems.validation([{ field, message: `Twilio refused it: ${String(message)} (error ${code})` }]);
}

export async function searchAvailableNumbers(
  projectId: string,
  query: { areaCode: string; country: string },
  context: Context,
): Promise<AvailableNumber[]> {
  await requireActiveProject(projectId, context);
  // Searching needs no subaccount: the platform account asks, so a read creates nothing at Twilio or here.
  requireTwilio(context.env);
  try {
    const found = await twilioClient(platformTwilio(context.env))
      .availableLocalNumbers(query.country)
      .list({ areaCode: Number(query.areaCode), voiceEnabled: true, smsEnabled: true, limit: 10 });
    return found.map((n) => ({
      phoneNumber: n.phoneNumber,
      friendlyName: n.friendlyName,
      locality: n.locality ?? null,
      region: n.region ?? null,
    }));
  } catch (error) {
    throw twilioRefusal(error, "areaCode") ?? error;
  }
}

/** The URLs Apex sets on a number: Twilio calls these, never a URL a tenant typed. */
async function numberUrls(projectId: string, number: string, context: Context) {
  const { env, actor } = context;
  const { settings } = await getSpeedToLeadSettings(projectId, context);
  const fallback = await publishFallback(env, actor.auth.tenantId, number, settings);
  const project = { project: projectId };
  return {
    voiceUrl: webhookUrl(env, "inbound", project),
    voiceMethod: "POST",
    ...(fallback ? { voiceFallbackUrl: fallback, voiceFallbackMethod: "GET" } : {}),
    statusCallback: webhookUrl(env, "number-status", project),
    statusCallbackMethod: "POST",
    smsUrl: webhookUrl(env, "sms", project),
    smsMethod: "POST",
  };
}

/** The bought or attached number is claimed for the project and becomes its tracking number. */
async function adopt(
  projectId: string,
  number: { phoneNumber: string; sid: string; origin: "purchased" | "attached" },
  field: string,
  context: Context,
): Promise<PhoneNumberView> {
  const { db, actor } = context;
  const tenantId = actor.auth.tenantId;
  await withTenant(db, tenantId, async (tx) => {
    const claimed = await claimSubaccountNumber(tx, {
      number: number.phoneNumber,
      tenantId,
      projectId,
      origin: number.origin,
      phoneNumberSid: number.sid,
    });
    if (!claimed && (await findNumber(tx, projectId, number.phoneNumber))?.phoneNumberSid !== number.sid) {
      throw problems.validation([{ field, message: "is already another project's tracking number" }]);
    }
    await recordAudit(tx, actor, {
      action: number.origin === "purchased" ? "phone_number.buy" : "phone_number.attach",
      entityType: "phone_number",
      entityId: projectId,
      before: null,
      after: { number: number.phoneNumber, sid: number.sid },
    });
  });
  const current = await getSpeedToLeadSettings(projectId, context);
  if (current.settings.trackingNumber !== number.phoneNumber) {
    await putSpeedToLeadSettings(
      projectId,
      current.version,
      { ...current.settings, trackingNumber: number.phoneNumber },
      context,
    );
  }
  return (await listPhoneNumbers(projectId, context)).find((n) => n.number === number.phoneNumber) as PhoneNumberView;
}

/** A number is a monthly charge the owner chooses to take on: refused at the cap. */
const NUMBER_SPEND: SpendKind = "phone-number";

/**
 * Buys the number in the tenant's subaccount, with Apex's URLs set. Bought
 * once per project and number, however often it is retried (the tenant
 * object's action ledger): Twilio bills a purchase. The spend gate is asked
 * inside the once-only action, so a retry of a purchase that already happened
 * (whose claim failed, say) is never refused for the money it already spent;
 * the purchase's first month goes into the usage ledger keyed by the
 * number's sid, so a retry records it once.
 */
export async function buyPhoneNumber(projectId: string, input: { phoneNumber: string }, context: Context) {
  await requireActiveProject(projectId, context);
  const phoneNumber = e164Of(input.phoneNumber, "phoneNumber");
  let bought: { sid: string; phoneNumber: string };
  try {
    ({ result: bought } = await onceOnly(
      context.env,
      context.actor.auth.tenantId,
      `buy-number:${projectId}:${phoneNumber}`,
      72 * HOUR_MS,
      async () => {
        await requireSpend(projectId, NUMBER_SPEND, context);
        const account = await ensureSubaccount(context);
        const urls = await numberUrls(projectId, phoneNumber, context);
        const created = await twilioClient(account).incomingPhoneNumbers.create({
          phoneNumber,
          friendlyName: `Apex ${projectId}`,
          ...urls,
        });
        return { sid: created.sid, phoneNumber: created.phoneNumber };
      },
    ));
  } catch (error) {
    throw twilioRefusal(error, "phoneNumber") ?? error;
  }
  // Recorded before the claim: the number is bought (and billed) whether or not the claim below holds.
  await recordUsage(
    {
      projectId,
      resource: "phone_number_month",
      quantity: 1,
      source: "phone_number",
      reference: bought.sid,
      idempotencyKey: `buy-number:${bought.sid}`,
    },
    context,
  );
  return adopt(projectId, { ...bought, origin: "purchased" }, "phoneNumber", context);
}

/** Attaches a number the tenant's subaccount already holds (ported or bought at Twilio): Apex sets its URLs. */
export async function attachPhoneNumber(projectId: string, input: { phoneNumber: string }, context: Context) {
  await requireActiveProject(projectId, context);
  const phoneNumber = e164Of(input.phoneNumber, "phoneNumber");
  // Another project's number keeps its wiring: refused before anything at Twilio changes.
  const holder = await withTenant(context.db, context.actor.auth.tenantId, (tx) => claimHolder(tx, phoneNumber));
  if (holder && holder !== projectId) {
    throw problems.validation([{ field: "phoneNumber", message: "is already another project's tracking number" }]);
  }
  const account = await ensureSubaccount(context);
  const client = twilioClient(account);
  const [held] = await client.incomingPhoneNumbers.list({ phoneNumber, limit: 1 });
  if (!held) {
    throw problems.validation([{ field: "phoneNumber", message: "is not a number in your Twilio account" }]);
  }
  await client.incomingPhoneNumbers(held.sid).update(await numberUrls(projectId, phoneNumber, context));
  return adopt(projectId, { sid: held.sid, phoneNumber, origin: "attached" }, "phoneNumber", context);
}

/**
 * Releases a number: a bought one goes back to Twilio; an attached one stays
 * in the tenant's account with Apex's URLs cleared. If it was the tracking
 * number, the project has none until another is bought, attached or typed.
 */
export async function releasePhoneNumber(projectId: string, number: string, context: Context) {
  const { db, env, actor } = context;
  const tenantId = actor.auth.tenantId;
  await requireProject(projectId, context);
  const row = await withTenant(db, tenantId, (tx) => findNumber(tx, projectId, number));
  if (!row) throw problems.notFound(`Project ${projectId} has no number ${number}.`);
  if (row.phoneNumberSid) {
    const client = twilioClient(await tenantTwilio(context));
    const numberResource = client.incomingPhoneNumbers(row.phoneNumberSid);
    try {
      if (row.origin === "purchased") await numberResource.remove();
      else {
        await numberResource.update({
          voiceUrl: "",
          voiceFallbackUrl: "",
          statusCallback: "",
          smsUrl: "",
        });
      }
    } catch (error) {
      // Already gone at Twilio: releasing it here is what is left to do.
      if ((error as { status?: number }).status !== 404) throw error;
    }
  }
  // The claim goes first, so saving the settings below rewrites no document for it.
  await withTenant(db, tenantId, async (tx) => {
    await deleteNumber(tx, projectId, number);
    await recordAudit(tx, actor, {
      action: "phone_number.release",
      entityType: "phone_number",
      entityId: projectId,
      before: { number, sid: row.phoneNumberSid, origin: row.origin },
      after: null,
    });
  });
  if (row.phoneNumberSid) await withdrawFallback(env, tenantId, number);
  const current = await getSpeedToLeadSettings(projectId, context);
  if (current.settings.trackingNumber === number) {
    const { trackingNumber: _released, ...rest } = current.settings;
    await putSpeedToLeadSettings(projectId, current.version, rest, context);
  }
}

/**
 * The phones in a project's fallback documents changed (or may have): each
 * number in the subaccount gets its document rewritten. Called after the
 * speed-to-lead settings are saved.
 */
export async function refreshFallbacks(projectId: string, context: Context): Promise<void> {
  const { db, env, actor } = context;
  const rows = await withTenant(db, actor.auth.tenantId, (tx) => numbersOfProject(tx, projectId));
  const inSubaccount = rows.filter((row) => row.phoneNumberSid);
  if (inSubaccount.length === 0) return;
  const { settings } = await getSpeedToLeadSettings(projectId, context);
  for (const row of inSubaccount) await publishFallback(env, actor.auth.tenantId, row.number, settings);
}

function e164Of(value: string, field: string): string {
  const parsed = toE164(value, "US");
  if (!parsed)
    throw problems.validation([{ field, message: "is not a phone number in E.164 form, such as +14155550123" }]);
  return parsed;
}
