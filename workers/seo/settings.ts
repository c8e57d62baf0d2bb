import { z } from "zod";

/**
 * A project's programmatic-SEO settings: the DNA's `modules.localSeo`. Pages
 * are written for each of the chosen services in each of the chosen places
 * (both default to all the DNA holds), anchored to landmarks of the chosen
 * kinds found there.
 */
export const ANCHOR_KINDS = ["courthouse", "police", "hospital", "park", "townhall", "library", "attraction"] as const;

export const localSeoSettingsSchema = z.object({
  /** Landmark kinds the scout looks for. */
  anchorKinds: z
    .array(z.enum(ANCHOR_KINDS))
    .min(1)
    .max(ANCHOR_KINDS.length)
    .default([...ANCHOR_KINDS]),
  /** Cities and suburbs to write for; empty: the DNA's geo scope (cities, then areas). */
  places: z.array(z.string().trim().min(2).max(100)).max(50).default([]),
  /** Service slugs to write for; empty: every service in the DNA. */
  services: z
    .array(z.string().regex(/^[a-z0-9-]{1,60}$/))
    .max(50)
    .default([]),
  /** Pages written per run at most; the rest wait for the next run. */
  pagesPerRun: z.number().int().min(1).max(50).default(10),
  /** Drafts wait for a person's approval before they are published (the default). */
  approvalRequired: z.boolean().default(true),
  /** How often a page the critic rejects goes back to the writer before it stops for a person. */
  maxRevisions: z.number().int().min(0).max(5).default(2),
});

export type LocalSeoSettings = z.infer<typeof localSeoSettingsSchema>;
