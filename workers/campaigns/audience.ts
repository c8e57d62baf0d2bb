import { FREQUENCY_CAP, marketingConsent } from "../contact/policy";
import { leadSystem } from "../services/entity-system";
import { firstNameOf, lastJobMonthOf, renderTemplate } from "./message-template";
import type { CampaignSettings } from "./settings";
import { smsSegments } from "./sms-segments";

/**
 * Who a campaign reaches, decided from facts read once (./campaigns.ts reads
 * them): the leads in its audience, and for each one left out, why. The same
 * decision serves the preview and the launch, so what a person previewed is
 * what launches; the contact gate still decides each text when it goes.
 */
export interface Candidate {
  id: string;
  name: string;
  status: string | null;
  data: unknown;
  system: unknown;
}

export interface AudienceFacts {
  optedOut: ReadonlySet<string>;
  /** Numbers a lead still in the pipeline carries: that person is being served, not reactivated. */
  openLeadPhones: ReadonlySet<string>;
  textHistory: ReadonlyMap<string, { lastTextAt: Date; lastMarketingAt: Date | null }>;
  businessName: string;
  now: Date;
}

export const EXCLUSION_REASONS = [
  "duplicate-phone",
  "opted-out",
  "open-lead",
  "no-consent",
  "recent-contact",
  "missing-values",
] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

export interface Included {
  leadId: string;
  name: string;
  phone: string;
  body: string;
  segments: number;
  encoding: "GSM-7" | "UCS-2";
}

export interface Excluded {
  leadId: string;
  name: string;
  phone: string;
  reason: ExclusionReason;
  detail: string;
}

const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === "object" ? (value as Record<string, unknown>) : {};
const text = (value: unknown) => (typeof value === "string" && value.trim() ? value.trim() : undefined);

/** The months between `from` and `to`, counted as calendar months (a job on 31 May is one month old on 30 June). */
function monthsBetween(from: Date, to: Date): number {
  return (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + (to.getUTCMonth() - from.getUTCMonth());
}

/** In the audience at all: status, job type, and a last job at least the set number of months ago. */
function inAudience(candidate: Candidate, settings: CampaignSettings, now: Date): boolean {
  const data = record(candidate.data);
  if (!settings.audience.statuses.includes(candidate.status ?? "")) return false;
  const jobTypes = settings.audience.jobTypes;
  if (jobTypes?.length) {
    const jobType = text(data.jobType)?.toLowerCase();
    if (!jobType || !jobTypes.some((t) => t.toLowerCase() === jobType)) return false;
  }
  const lastJob = text(data.lastJobDate);
  const lastInbound = leadSystem({ system: record(candidate.system) }).lastInboundAt;
  const last = [lastJob, lastInbound]
    .filter((t): t is string => Boolean(t))
    .map((t) => new Date(t))
    .filter((d) => !Number.isNaN(d.getTime()))
    .sort((a, b) => b.getTime() - a.getTime())[0];
  return !last || monthsBetween(last, now) >= settings.audience.lastContactOlderThanMonths;
}

export function decideAudience(candidates: readonly Candidate[], settings: CampaignSettings, facts: AudienceFacts) {
  const included: Included[] = [];
  const excluded: Excluded[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    if (!inAudience(candidate, settings, facts.now)) continue;
    const data = record(candidate.data);
    const phone = text(data.phone) ?? "";
    const out = (reason: ExclusionReason, detail: string) =>
      excluded.push({ leadId: candidate.id, name: candidate.name, phone, reason, detail });
    if (seen.has(phone)) {
      out("duplicate-phone", `Another lead in this campaign has ${phone}; it gets one text.`);
      continue;
    }
    seen.add(phone);
    if (facts.optedOut.has(phone)) {
      out("opted-out", `${phone} opted out of calls and texts.`);
      continue;
    }
    if (facts.openLeadPhones.has(phone)) {
      out("open-lead", `${phone} belongs to a lead still in the pipeline.`);
      continue;
    }
    if (!marketingConsent(phone, candidate)) {
      out(
        "no-consent",
        `${phone} has no consent basis for marketing texts (express, attested at import, or a customer who reached out).`,
      );
      continue;
    }
    const history = facts.textHistory.get(phone);
    if (history) {
      const now = facts.now.getTime();
      const recentMarketing =
        history.lastMarketingAt && now - history.lastMarketingAt.getTime() < FREQUENCY_CAP.afterMarketingMs;
      if (recentMarketing || now - history.lastTextAt.getTime() < FREQUENCY_CAP.afterAnyTextMs) {
        out("recent-contact", `${phone} was texted on ${history.lastTextAt.toISOString()}; the frequency cap holds.`);
        continue;
      }
    }
    const rendered = renderTemplate(
      settings.template,
      {
        firstName: firstNameOf(candidate.name),
        name: candidate.name,
        businessName: facts.businessName,
        jobType: text(data.jobType),
        lastJobMonth: lastJobMonthOf(text(data.lastJobDate)),
        offer: settings.offer,
      },
      { optOutFooter: true },
    );
    if (!rendered.ok) {
      out(
        "missing-values",
        `The template needs ${rendered.missing.join(", ")}, which this lead lacks (and no default is given).`,
      );
      continue;
    }
    const segments = smsSegments(rendered.text);
    included.push({
      leadId: candidate.id,
      name: candidate.name,
      phone,
      body: rendered.text,
      segments: segments.segments,
      encoding: segments.encoding,
    });
  }
  return { included, excluded };
}
