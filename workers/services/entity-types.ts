import { z } from "zod";

/**
 * Built-in entity types (SPEC §3) and the zod schema their `data` must pass.
 * Schemas are open (`loose`): agents add fields over time; the fields named
 * here are checked. Tenant-defined types with a JSON schema are not built yet.
 */
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, "must be an E.164 phone number like +15551234567");

export const builtInTypes = {
  lead: z.looseObject({
    phone: e164.optional(),
    email: z.email().optional(),
    message: z.string().max(10_000).optional(),
    source: z.string().max(100).optional(),
  }),
  call: z.looseObject({
    direction: z.enum(["inbound", "outbound"]).optional(),
    from: e164.optional(),
    to: e164.optional(),
    durationSeconds: z.number().int().nonnegative().optional(),
  }),
  message: z.looseObject({
    direction: z.enum(["inbound", "outbound"]).optional(),
    body: z.string().max(5_000).optional(),
  }),
  keyword: z.looseObject({ phrase: z.string().min(1).max(200).optional() }),
  page: z.looseObject({ url: z.url().optional(), title: z.string().max(300).optional() }),
  anchor: z.looseObject({ place: z.string().max(300).optional() }),
  campaign: z.looseObject({ channel: z.string().max(50).optional() }),
} as const;

export type EntityType = keyof typeof builtInTypes;
export const entityTypeNames = Object.keys(builtInTypes) as [EntityType, ...EntityType[]];
