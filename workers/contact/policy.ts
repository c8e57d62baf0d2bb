import { withTenant } from "../../schema/tenant-transaction";
import { findEntity, findLeadByPhone } from "../repositories/entities";
import { isOptedOut } from "../repositories/opt-outs";
import type { ServiceContext } from "../service-context";
import { leadSystemSchema } from "../services/entity-system";
import { localHourMinute, nextLocalTime, recipientZone } from "./recipient-zone";

/**
 * The one contact-policy gate. Every outbound text or call to a person —
 * whatever started it: an intake, a Twilio callback, a queued agent, a cron
 * campaign, a person in the UI — asks here before it is sent
 * (docs/decisions/019-one-contact-gate.md). In order:
 *
 * 1. Opt-out: a number that said STOP (or "stop texting me") gets nothing.
 * 2. Consent basis: marketing needs the recipient's express consent, captured
 *    at intake for that very number; an automated reply needs their own
 *    inquiry, as Apex saw it arrive (a form, a call, a text — never a lead a
 *    person typed in); a person's own text needs a lead for the number.
 *    Alerts go to the project's own owner.
 * 3. Quiet hours, automated texts only: nothing between 21:00 and 08:00 in
 *    the recipient's zone (from the number; the project's zone if unknown).
 *    Not held: the owner's own alerts, a text a person at the business types
 *    and sends themselves, and an immediate reply to the recipient's own
 *    contact in the last hour (a missed call at 22:00 still gets its
 *    text-back). A refusal names when the window opens.
 */
export type ContactPurpose =
  /** To the project's owner about their own business: new leads, missed bridges, spend alerts. */
  | "owner-alert"
  /** Answering the recipient's own contact: a text-back, the bridge's customer leg. */
  | "reply"
  /** A person at the business writing to a lead. */
  | "conversation"
  /** Campaigns (reactivation): express consent only. */
  | "marketing";

export type ConsentBasis = "owner" | "express" | "inquiry";

export interface ContactRequest {
  projectId: string;
  channel: "sms" | "call";
  to: string;
  purpose: ContactPurpose;
  /** The lead the contact is about, when the caller knows it (else found by number). */
  leadId?: string | undefined;
  /** Where quiet hours are measured when the number does not say. */
  fallbackZone: string;
  at?: Date;
}

export type ContactDecision =
  | { allowed: true; basis: ConsentBasis }
  | {
      allowed: false;
      reason: "opted-out" | "no-consent" | "quiet-hours";
      detail: string;
      /** Quiet hours only: when the same contact would be allowed. */
      retryAt?: string;
    };

export const QUIET_HOURS = { start: 21, end: 8 } as const;
/** A reply this soon after the recipient's own contact is sent even in quiet hours. */
export const REPLY_WINDOW_MS = 60 * 60 * 1000;

type GateContext = Pick<ServiceContext, "db" | "actor">;

export async function contactGate(request: ContactRequest, { db, actor }: GateContext): Promise<ContactDecision> {
  const at = request.at ?? new Date();
  const facts = await withTenant(db, actor.auth.tenantId, async (tx) => {
    const optedOut = await isOptedOut(tx, request.to);
    if (request.purpose === "owner-alert") return { optedOut, lead: undefined };
    const byId = request.leadId ? await findEntity(tx, request.leadId) : undefined;
    const lead = byId?.type === "lead" ? byId : await findLeadByPhone(tx, request.projectId, request.to);
    return { optedOut, lead };
  });
  if (facts.optedOut) {
    return { allowed: false, reason: "opted-out", detail: `${request.to} opted out of calls and texts.` };
  }
  if (request.purpose === "owner-alert") return { allowed: true, basis: "owner" };

  const system = leadSystemSchema.safeParse(facts.lead?.system ?? {});
  const lead = system.success ? system.data : {};
  const basis = consentBasis(request, facts.lead !== undefined, lead);
  if (!basis || (request.purpose === "marketing" && basis !== "express")) {
    return {
      allowed: false,
      reason: "no-consent",
      detail:
        request.purpose === "marketing"
          ? `${request.to} never gave express consent to marketing texts.`
          : `Apex never saw ${request.to} contact this project (a form, a call or a text).`,
    };
  }

  if (request.channel === "sms" && request.purpose !== "conversation") {
    const lastContact = lastContactAt(lead);
    const freshReply =
      request.purpose === "reply" && lastContact !== undefined && at.getTime() - lastContact < REPLY_WINDOW_MS;
    if (!freshReply) {
      const { zone } = recipientZone(request.to, request.fallbackZone);
      const { hour, minute } = localHourMinute(at, zone);
      if (hour >= QUIET_HOURS.start || hour < QUIET_HOURS.end) {
        const retryAt = nextLocalTime(at, zone, QUIET_HOURS.end, 0).toISOString();
        return {
          allowed: false,
          reason: "quiet-hours",
          detail: `It is ${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")} for ${request.to} (${zone}); texts wait until 08:00 there.`,
          retryAt,
        };
      }
    }
  }
  return { allowed: true, basis };
}

/**
 * On what the person may be contacted, from what Apex itself recorded on the
 * lead (`system`, which no tenant writes): express consent counts only for the
 * number it was given for; an inquiry only if Apex saw one arrive.
 */
function consentBasis(
  request: ContactRequest,
  leadExists: boolean,
  lead: ReturnType<typeof leadSystemSchema.parse>,
): ConsentBasis | undefined {
  if (lead.consent?.sms === true && lead.consent.phone === request.to) return "express";
  if (lastContactAt(lead) !== undefined) return "inquiry";
  // A lead a person entered by hand: they may write to it themselves; automation may not.
  if (leadExists && request.purpose === "conversation") return "inquiry";
  return undefined;
}

/** The latest moment the person reached the project themselves: a form, a call, a text. */
function lastContactAt(lead: {
  receivedAt?: string | undefined;
  lastIntake?: { at: string } | undefined;
  lastMissedCallAt?: string | undefined;
  lastInboundAt?: string | undefined;
}): number | undefined {
  const times = [lead.receivedAt, lead.lastIntake?.at, lead.lastMissedCallAt, lead.lastInboundAt]
    .filter((t): t is string => typeof t === "string")
    .map((t) => Date.parse(t))
    .filter((t) => Number.isFinite(t));
  return times.length > 0 ? Math.max(...times) : undefined;
}
