import { z } from "zod";
import { LEAD_SOURCES } from "../intake/sources";
import { e164 } from "../phone";

/**
 * A project's speed-to-lead settings: the DNA's `modules.speedToLead`
 * (workers/dna/schema.ts). Defaults make a project usable the moment it has
 * an owner phone and a tracking number.
 */
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM, 24-hour");
const day = z.array(z.tuple([clock, clock])).max(4);

export const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** Each lead source's secret, under the name its definition gives (googleKey, wordpressSecret, formToken). */
type IntakeSecretName = (typeof LEAD_SOURCES)[number]["secretSetting"];
const intakeSecrets = Object.fromEntries(
  LEAD_SOURCES.map((source) => [source.secretSetting, source.secretSchema]),
) as unknown as Record<IntakeSecretName, z.ZodType<string>>;

export const speedToLeadSettingsSchema = z.object({
  /** The owner's own phone: the bridge rings it first. */
  ownerPhone: e164.optional(),
  /** The project's Twilio number: caller id of the bridge, the number customers call. */
  trackingNumber: e164.optional(),
  /** ISO country for numbers written without a country code (e.g. "US", "NZ"). */
  defaultCountry: z.string().length(2).default("US"),
  timezone: z.string().min(1).default("UTC"),
  /** Local opening hours per weekday; a missing or empty day is closed. Absent entirely: always open. */
  businessHours: z.partialRecord(z.enum(DAYS), day).optional(),
  whisperTemplate: z.string().max(500).default("New lead from {source}: {name}{about}. Press 1 to connect."),
  ownerSmsTemplate: z.string().max(500).default("New lead from {source}: {name} {phone}{about}"),
  textBackTemplate: z
    .string()
    .max(500)
    .default("Thanks for contacting {business}! We missed you just now and will call you back shortly."),
  disclosure: z.string().max(300).default("This call is recorded for quality."),
  /** A second intake of the same phone or email within this window joins the first lead. */
  dedupWindowMinutes: z.number().int().min(1).max(10_080).default(1_440),
  /** One text-back per caller per window, however often they try. */
  textBackWindowMinutes: z.number().int().min(1).max(10_080).default(1_440),
  /** A lead scored at or above this is bridged at once (if nobody has called it yet). */
  scoreThreshold: z.number().int().min(0).max(100).default(70),
  /** Secrets the lead sources prove themselves with: one per source (intake/sources). */
  intake: z.object(intakeSecrets).partial().default({}),
});

export type SpeedToLeadSettings = z.infer<typeof speedToLeadSettingsSchema>;

/** The `intake` fields that are shared secrets: only admins read them (services/dna.ts decides who). */
export const INTAKE_SECRETS: IntakeSecretName[] = LEAD_SOURCES.map((source) => source.secretSetting);

/** `{name}`-style placeholders; unknown ones are left as they are. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}
