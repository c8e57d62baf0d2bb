import { z } from "zod";
import { e164 } from "../phone";

/**
 * A project's speed-to-lead settings: the DNA's `modules.speedToLead`
 * (workers/dna/schema.ts). Defaults make a project usable the moment it has
 * an owner phone and a tracking number. The secrets lead sources prove
 * themselves with are not settings: they are sealed apart from the DNA
 * (services/intake-secrets.ts, decision 017).
 */
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM, 24-hour");
const day = z.array(z.tuple([clock, clock])).max(4);

/** Zones already found valid: there are a few hundred, and making a formatter to check one is slow. */
const knownZones = new Set<string>();

/** Whether the runtime knows `zone` (quiet hours and business hours compute local time in it). */
function isTimeZone(zone: string): boolean {
  if (knownZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    return false;
  }
  knownZones.add(zone);
  return true;
}

export const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

export const speedToLeadSettingsSchema = z.object({
  /** The owner's own phone: the bridge rings it first. */
  ownerPhone: e164.optional(),
  /** Who the bridge rings after the owner, in turn (the call ladder, speed-to-lead/ladder.ts). */
  backupPhones: z.array(e164).max(5).default([]),
  /** Every lead starts at the owner (in-order), or each lead at the next person (round-robin). */
  ladderOrder: z.enum(["in-order", "round-robin"]).default("in-order"),
  /** How long each rung rings before the next person is tried. */
  ringSeconds: z.number().int().min(5).max(60).default(20),
  /** No new rung starts after this many seconds: the customer is texted and everyone alerted instead. */
  connectTargetSeconds: z.number().int().min(10).max(600).default(60),
  /** The project's Twilio number: caller id of the bridge, the number customers call. */
  trackingNumber: e164.optional(),
  /** ISO country for numbers written without a country code (e.g. "US", "NZ"). */
  defaultCountry: z.string().length(2).default("US"),
  timezone: z.string().min(1).refine(isTimeZone, "an IANA time zone, such as America/Chicago").default("UTC"),
  /** Local opening hours per weekday; a missing or empty day is closed. Absent entirely: always open. */
  businessHours: z.partialRecord(z.enum(DAYS), day).optional(),
  whisperTemplate: z.string().max(500).default("New lead from {source}: {name}{about}. Press 1 to connect."),
  ownerSmsTemplate: z.string().max(500).default("New lead from {source}: {name} {phone}{about}"),
  textBackTemplate: z
    .string()
    .max(500)
    .default("Thanks for contacting {business}! We missed you just now and will call you back shortly."),
  disclosure: z.string().max(300).default("This call is recorded for quality."),
  /**
   * Whether the customer leg hears `disclosure` before it is connected: always, or only
   * where every party must consent to a recording (speed-to-lead/disclosure.ts knows where).
   */
  customerDisclosure: z.enum(["always", "by-region"]).default("always"),
  /** At the monthly spend cap: keep ringing the owner for new leads (and alert them), or pause the bridge too. */
  bridgeAtCap: z.enum(["keep-calling", "pause"]).default("keep-calling"),
  /** A second intake of the same phone or email within this window joins the first lead. */
  dedupWindowMinutes: z.number().int().min(1).max(10_080).default(1_440),
  /** One text-back per caller per window, however often they try. */
  textBackWindowMinutes: z.number().int().min(1).max(10_080).default(1_440),
  /** A lead scored at or above this is bridged at once (if nobody has called it yet) and announced as hot. */
  scoreThreshold: z.number().int().min(0).max(100).default(70),
  /** The text each hot lead sends, once: {source}, {name}, {phone}, {score}, {summary}. */
  hotLeadTemplate: z.string().max(500).default("HOT LEAD: {source} – {name} – {summary}"),
  /** Who gets it; empty means the owner's phone. */
  hotLeadRecipients: z.array(e164).max(5).default([]),
});

export type SpeedToLeadSettings = z.infer<typeof speedToLeadSettingsSchema>;

/** `{name}`-style placeholders; unknown ones are left as they are. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}
