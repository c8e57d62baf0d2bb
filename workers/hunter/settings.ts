import { z } from "zod";
import { DAYS } from "../speed-to-lead/settings";

/**
 * A project's lead-hunter settings: the DNA's `modules.leadHunter`. The
 * hunter reads job boards for posts that fit the business and tells the owner
 * about the good ones. It never calls or texts a poster unless the owner
 * switches `contactPolicy` to `bridge-public-phone` (an audited DNA change),
 * and then only a poster who published a phone number, through the contact
 * gate like every other call.
 */
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM, 24-hour");
const words = z.string().trim().min(2).max(60);

export const HUNTER_PLATFORMS = ["gigs", "trades"] as const;
export type HunterPlatform = (typeof HUNTER_PLATFORMS)[number];

export const leadHunterSettingsSchema = z.object({
  /** Scheduled hunts run only when enabled; "Hunt now" works whenever keywords and platforms are set. */
  enabled: z.boolean().default(false),
  platforms: z
    .array(z.enum(HUNTER_PLATFORMS))
    .max(HUNTER_PLATFORMS.length)
    .default([...HUNTER_PLATFORMS]),
  /** What a post must be about: a keyword matches as a phrase in its title or text. */
  keywords: z.array(words).max(20).default([]),
  /** Where: searched for on each board, and a post must be in one of them. */
  places: z.array(z.string().trim().min(2).max(100)).max(30).default([]),
  /** Optional: also accept a post whose board gives coordinates within this many km of `center`. */
  radiusKm: z.number().min(1).max(300).optional(),
  center: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).optional(),
  /** Scheduled hunts: every `everyMinutes` on `days` between `from` and `to`, in the project's time zone. */
  schedule: z
    .object({
      everyMinutes: z.number().int().min(15).max(1_440).default(30),
      days: z.array(z.enum(DAYS)).max(7).default(["mon", "tue", "wed", "thu", "fri"]),
      from: clock.default("08:00"),
      to: clock.default("18:00"),
    })
    .default({ everyMinutes: 30, days: ["mon", "tue", "wed", "thu", "fri"], from: "08:00", to: "18:00" }),
  /** A hunted lead scored at or above this alerts the owner (and, under the opt-in policy, is bridged). */
  scoreThreshold: z.number().int().min(0).max(100).default(60),
  /** `alert-only` (default): the owner is told and calls from the lead page. */
  contactPolicy: z.enum(["alert-only", "bridge-public-phone"]).default("alert-only"),
  /** Result pages read per keyword × place on each board, per run. */
  maxPagesPerRun: z.number().int().min(1).max(10).default(2),
});

export type LeadHunterSettings = z.infer<typeof leadHunterSettingsSchema>;
