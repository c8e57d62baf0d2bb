import { withTenant } from "../../schema/tenant-transaction";
import { lastTexts } from "../repositories/contact-history";
import { findEntity, findLeadByPhone } from "../repositories/entities";
import { isOptedOut } from "../repositories/opt-outs";
import type { ServiceContext } from "../service-context";
import { leadHunterSettings } from "../services/dna";
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
 *    the recipient's zone (from the number; the project's zone if unknown);
 *    marketing only inside its send window (09:00–20:00 unless the campaign
 *    narrows it).
 *    Not held: the owner's own alerts, a text a person at the business types
 *    and sends themselves, and an immediate reply to the recipient's own
 *    contact in the last hour (a missed call at 22:00 still gets its
 *    text-back). A refusal names when the window opens.
 * 4. Frequency cap, marketing only, across every flow: no marketing text
 *    within 24 h of any other text to the number, nor within 7 days of the
 *    last marketing text (contact_history, which only the sender writes).
 *
 * A poster the lead hunter found never contacted the business: no inquiry,
 * no basis. Only when the owner opted in (`modules.leadHunter.contactPolicy`
 * `bridge-public-phone`, an audited DNA change) may the automatic bridge
 * call — a call, never a text — the number the poster published themselves
 * (basis `published`), and then not in quiet hours, nor within 24 h of any
 * text to that number.
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

/**
 * `attested`: an admin attested to it when importing the customer (for that number).
 * `customer`: the person contacted the business themselves and the lead was won.
 */
export type ConsentBasis = "owner" | "express" | "inquiry" | "attested" | "customer" | "published";

export interface ContactRequest {
  projectId: string;
  channel: "sms" | "call";
  to: string;
  purpose: ContactPurpose;
  /** The lead the contact is about, when the caller knows it (else found by number). */
  leadId?: string | undefined;
  /** Where quiet hours are measured when the number does not say. */
  fallbackZone: string;
  /** Marketing only: the local hours it may be sent in, [start, end). Defaults to MARKETING_WINDOW. */
  window?: { start: number; end: number } | undefined;
  at?: Date;
}

export type ContactDecision =
  | { allowed: true; basis: ConsentBasis }
  | {
      allowed: false;
      reason: "opted-out" | "no-consent" | "quiet-hours" | "frequency-cap";
      detail: string;
      /** Quiet hours only: when the same contact would be allowed. */
      retryAt?: string;
    };

export const QUIET_HOURS = { start: 21, end: 8 } as const;
/** Marketing's default send window in the recipient's zone: from 09:00 to 20:00. */
export const MARKETING_WINDOW = { start: 9, end: 20 } as const;
/** The frequency cap: the least gap before a marketing text, after any text and after another marketing text. */
export const FREQUENCY_CAP = {
  afterAnyTextMs: 24 * 60 * 60 * 1000,
  afterMarketingMs: 7 * 24 * 60 * 60 * 1000,
} as const;
/** A reply this soon after the recipient's own contact is sent even in quiet hours. */
export const REPLY_WINDOW_MS = 60 * 60 * 1000;

type GateContext = Pick<ServiceContext, "db" | "actor">;

export async function contactGate(request: ContactRequest, { db, actor }: GateContext): Promise<ContactDecision> {
  const at = request.at ?? new Date();
  const facts = await withTenant(db, actor.auth.tenantId, async (tx) => {
    const optedOut = await isOptedOut(tx, request.to);
    if (request.purpose === "owner-alert") return { optedOut, lead: undefined, history: undefined };
    const byId = request.leadId ? await findEntity(tx, request.leadId) : undefined;
    // A lead deleted since the text was planned is gone: nothing it once recorded is consent any more.
    if (byId?.type === "lead" && byId.deletedAt) return { optedOut, lead: undefined, history: undefined };
    const lead = byId?.type === "lead" ? byId : await findLeadByPhone(tx, request.projectId, request.to);
    const hunted = lead ? leadSystemSchema.safeParse(lead.system ?? {}).data?.hunt : undefined;
    const publishedCall = request.channel === "call" && request.purpose === "reply" && hunted !== undefined;
    const history = request.purpose === "marketing" || publishedCall ? await lastTexts(tx, request.to) : undefined;
    const huntOptIn = publishedCall
      ? (await leadHunterSettings(tx, request.projectId))?.contactPolicy === "bridge-public-phone"
      : false;
    return { optedOut, lead, history, huntOptIn };
  });
  if (facts.optedOut) {
    return { allowed: false, reason: "opted-out", detail: `${request.to} opted out of calls and texts.` };
  }
  if (request.purpose === "owner-alert") return { allowed: true, basis: "owner" };

  const system = leadSystemSchema.safeParse(facts.lead?.system ?? {});
  const lead = system.success ? system.data : {};
  const basis = consentBasis(request, facts.lead, lead, facts.huntOptIn === true);
  if (!basis || (request.purpose === "marketing" && !MARKETING_BASES.has(basis))) {
    return {
      allowed: false,
      reason: "no-consent",
      detail:
        request.purpose === "marketing"
          ? `${request.to} never gave express consent to marketing texts, and is neither an attested nor a won customer.`
          : `Apex never saw ${request.to} contact this project (a form, a call or a text).`,
    };
  }

  if (request.channel === "sms" && request.purpose === "marketing") {
    return marketingTiming(request, at, facts.history) ?? { allowed: true, basis };
  }
  if (basis === "published") return publishedCallTiming(request, at, facts.history) ?? { allowed: true, basis };
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

const MARKETING_BASES: ReadonlySet<ConsentBasis> = new Set(["express", "attested", "customer"]);
const WON = new Set(["won", "completed"]);

/**
 * On what the person may be contacted, from what Apex itself recorded on the
 * lead (`system`, which no tenant writes): express consent and an import's
 * attestation count only for the number they were given for; an inquiry only
 * if Apex saw one arrive. A won lead that once reached out from this number
 * is a customer.
 */
function consentBasis(
  request: ContactRequest,
  row: { status: string | null } | undefined,
  lead: ReturnType<typeof leadSystemSchema.parse>,
  huntOptIn = false,
): ConsentBasis | undefined {
  if (lead.consent?.sms === true && lead.consent.phone === request.to) return "express";
  if (
    huntOptIn &&
    request.channel === "call" &&
    request.purpose === "reply" &&
    lead.hunt?.publicPhone === request.to &&
    lastContactAt(lead) === undefined
  ) {
    return "published";
  }
  if (request.purpose === "marketing") {
    if (lead.imported?.phone === request.to) return "attested";
    // A customer is one who reached out from this very number (as intake recorded it): a phone
    // edited on a won lead later is not the person who did.
    if (row?.status && WON.has(row.status) && lead.consent?.phone === request.to && lastContactAt(lead) !== undefined) {
      return "customer";
    }
  }
  if (lastContactAt(lead) !== undefined) return "inquiry";
  // A lead a person entered by hand: they may write to it themselves; automation may not.
  if (row && request.purpose === "conversation") return "inquiry";
  return undefined;
}

const hhmm = (hour: number, minute: number) => `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;

/** Marketing's send window in the recipient's zone, then the frequency cap. */
function marketingTiming(
  request: ContactRequest,
  at: Date,
  history: { lastTextAt: Date; lastMarketingAt: Date | null } | undefined,
): Extract<ContactDecision, { allowed: false }> | undefined {
  const window = request.window ?? MARKETING_WINDOW;
  const { zone } = recipientZone(request.to, request.fallbackZone);
  const { hour, minute } = localHourMinute(at, zone);
  if (hour < window.start || hour >= window.end) {
    return {
      allowed: false,
      reason: "quiet-hours",
      detail: `It is ${hhmm(hour, minute)} for ${request.to} (${zone}); marketing texts go between ${hhmm(window.start, 0)} and ${hhmm(window.end, 0)} there.`,
      retryAt: nextLocalTime(at, zone, window.start, 0).toISOString(),
    };
  }
  if (!history) return undefined;
  const sinceMarketing = history.lastMarketingAt ? at.getTime() - history.lastMarketingAt.getTime() : Infinity;
  if (sinceMarketing < FREQUENCY_CAP.afterMarketingMs) {
    return {
      allowed: false,
      reason: "frequency-cap",
      detail: `${request.to} got a marketing text on ${history.lastMarketingAt?.toISOString()}; at most one in 7 days.`,
    };
  }
  if (at.getTime() - history.lastTextAt.getTime() < FREQUENCY_CAP.afterAnyTextMs) {
    return {
      allowed: false,
      reason: "frequency-cap",
      detail: `${request.to} was texted on ${history.lastTextAt.toISOString()}; no marketing text within 24 h of another.`,
    };
  }
  return undefined;
}

/** A call to a number a poster published: outside quiet hours, and not within 24 h of a text to it. */
function publishedCallTiming(
  request: ContactRequest,
  at: Date,
  history: { lastTextAt: Date; lastMarketingAt: Date | null } | undefined,
): Extract<ContactDecision, { allowed: false }> | undefined {
  const { zone } = recipientZone(request.to, request.fallbackZone);
  const { hour, minute } = localHourMinute(at, zone);
  if (hour >= QUIET_HOURS.start || hour < QUIET_HOURS.end) {
    return {
      allowed: false,
      reason: "quiet-hours",
      detail: `It is ${hhmm(hour, minute)} for ${request.to} (${zone}); a hunted poster is called between 08:00 and 21:00 there.`,
      retryAt: nextLocalTime(at, zone, QUIET_HOURS.end, 0).toISOString(),
    };
  }
  if (history && at.getTime() - history.lastTextAt.getTime() < FREQUENCY_CAP.afterAnyTextMs) {
    return {
      allowed: false,
      reason: "frequency-cap",
      detail: `${request.to} was texted on ${history.lastTextAt.toISOString()}; a hunted poster is not called within 24 h of that.`,
    };
  }
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

/**
 * The consent basis the gate would find for a marketing text to `phone`, for
 * a campaign's preview (the gate itself decides again at send time).
 */
export function marketingConsent(
  phone: string,
  row: { status: string | null; system: unknown },
): ConsentBasis | undefined {
  const parsed = leadSystemSchema.safeParse(row.system ?? {});
  const basis = consentBasis(
    { projectId: "", channel: "sms", to: phone, purpose: "marketing", fallbackZone: "UTC" },
    row,
    parsed.success ? parsed.data : {},
  );
  return basis && MARKETING_BASES.has(basis) ? basis : undefined;
}
