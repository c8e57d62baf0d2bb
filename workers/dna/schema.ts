import { z } from "zod";
import { leadHunterSettingsSchema } from "../hunter/settings";
import { localSeoSettingsSchema } from "../seo/settings";
import { speedToLeadSettingsSchema } from "../speed-to-lead/settings";

/**
 * A project's DNA (its configuration): identity, brand brain, services, geo
 * scope and module settings. Three layers merge `defaults → generated →
 * custom`: objects merge key by key, anything else (strings, numbers, arrays)
 * is replaced whole by the later layer — deterministic, and what a person
 * editing a list expects. Each layer must be a valid partial DNA; the merge
 * must be a valid whole one.
 */
const text = (max = 500) => z.string().trim().min(1).max(max);

export const dnaSchema = z.object({
  identity: z.object({
    businessName: text(200),
    niche: text(200).optional(),
    phone: z.string().max(30).optional(),
    email: z.email().optional(),
    website: z.url().optional(),
    address: text(300).optional(),
  }),
  brandBrain: z.object({
    voice: text(300),
    differentiators: z.array(text(200)).max(20),
    insiderTips: z.array(text(300)).max(20),
    objections: z.array(z.object({ objection: text(300), answer: text(600) })).max(20),
    forbiddenTopics: z.array(text(200)).max(30),
  }),
  services: z
    .array(
      z.object({
        name: text(200),
        slug: z.string().regex(/^[a-z0-9-]{1,60}$/),
        keywords: z.array(text(100)).max(50),
      }),
    )
    .max(50),
  geoScope: z.object({
    country: z.string().length(2).optional(),
    cities: z.array(text(100)).max(50),
    areas: z.array(text(100)).max(200),
  }),
  modules: z.object({
    speedToLead: speedToLeadSettingsSchema,
    leadHunter: leadHunterSettingsSchema,
    localSeo: localSeoSettingsSchema,
  }),
});

export type Dna = z.infer<typeof dnaSchema>;

/** A layer: any subset of the DNA, every object optional at every depth. */
export const dnaLayerSchema = z
  .object({
    identity: dnaSchema.shape.identity.partial(),
    brandBrain: dnaSchema.shape.brandBrain.partial(),
    services: dnaSchema.shape.services,
    geoScope: dnaSchema.shape.geoScope.partial(),
    modules: z
      .object({
        speedToLead: z.record(z.string(), z.unknown()),
        leadHunter: z.record(z.string(), z.unknown()),
        localSeo: z.record(z.string(), z.unknown()),
      })
      .partial(),
  })
  .partial()
  .strict();

export type DnaLayer = z.infer<typeof dnaLayerSchema>;
export const DNA_LAYERS = ["defaults", "generated", "custom"] as const;
export type DnaLayerName = (typeof DNA_LAYERS)[number];

/** What every project starts from. */
export function dnaDefaults(projectName: string): DnaLayer {
  return {
    identity: { businessName: projectName },
    brandBrain: {
      voice: "Friendly, clear and quick to help",
      differentiators: [],
      insiderTips: [],
      objections: [],
      forbiddenTopics: ["Guaranteed outcomes", "Prices we have not quoted"],
    },
    services: [],
    geoScope: { cities: [], areas: [] },
    modules: { speedToLead: {}, leadHunter: {}, localSeo: {} },
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function mergeLayers(...layers: unknown[]): Record<string, unknown> {
  const merge = (base: unknown, over: unknown): unknown => {
    if (over === undefined) return base;
    if (!isObject(base) || !isObject(over)) return over;
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(over)) out[key] = merge(base[key], value);
    return out;
  };
  return layers.reduce<Record<string, unknown>>((acc, layer) => merge(acc, layer ?? {}) as Record<string, unknown>, {});
}

/** The changed paths between two versions of a layer, for the audit log. */
export function diffLayers(
  before: unknown,
  after: unknown,
  path = "",
): { path: string; before: unknown; after: unknown }[] {
  // A missing object on one side is read as empty, so the diff names the leaves that changed.
  const a = before === undefined && isObject(after) ? {} : before;
  const b = after === undefined && isObject(before) ? {} : after;
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => diffLayers(a[key], b[key], path ? `${path}.${key}` : key));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path: path || "(root)", before, after }];
}
