import { z } from "zod";
import type { FieldError } from "../problems";

/**
 * The state Apex itself writes on built-in entities, kept in the `system`
 * column rather than in tenant-writable `data` (a tenant writes data, never system state):
 * the entities API never writes it, so nothing a tenant types becomes a
 * storage key, a URL the platform fetches, a credential target or a status
 * the bridge trusts. Writers go through `reviseEntity`/`createEntity`'s
 * `system` argument; readers parse with these schemas instead of casting.
 *
 * The schemas are loose on purpose: older rows may carry extra keys, and a
 * reader must never fail a page because of one.
 */
const at = z.string();

const timelineStep = z.looseObject({ status: z.string(), at });

const callAnalysis = z.looseObject({
  summary: z.string(),
  keyPoints: z.array(z.string()).optional(),
  customerIntent: z.string().optional(),
  nextSteps: z.array(z.string()).optional(),
  sentiment: z.string(),
  urgency: z.string(),
  model: z.string().optional(),
  provider: z.string().optional(),
  /** What it was read from: the call's transcript, or only the lead's message (nothing could transcribe). */
  basis: z.enum(["transcript", "lead-message"]).optional(),
});

export const callSystemSchema = z.looseObject({
  kind: z.enum(["bridge", "inbound"]).optional(),
  direction: z.enum(["inbound", "outbound"]).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  /** The customer's number the bridge dials after the owner presses 1. */
  customer: z.string().optional(),
  leadId: z.string().optional(),
  callSid: z.string().optional(),
  /** A bridge call's place on the lead's call ladder (speed-to-lead/ladder.ts). */
  ladder: z.looseObject({ rung: z.number(), startedAt: z.string(), attempt: z.string().optional() }).optional(),
  timeline: z.array(timelineStep).optional(),
  /** Twilio's recording; the R2 key is derived from tenant, call and `sid` (workers/storage/object-keys.ts). */
  recording: z
    .looseObject({
      sid: z.string(),
      durationSeconds: z.number().optional(),
      channels: z.number().optional(),
      stored: z.boolean().optional(),
    })
    .optional(),
  transcript: z
    .looseObject({ text: z.string(), model: z.string().optional(), provider: z.string().optional() })
    .optional(),
  analysis: callAnalysis.optional(),
  connected: z.boolean().optional(),
  /** An inbound call nobody answered, whose caller was offered a voicemail: its recording is the message. */
  voicemail: z.boolean().optional(),
  customerStatus: z.string().optional(),
  durationSeconds: z.number().optional(),
});
export type CallSystem = z.infer<typeof callSystemSchema>;

export const leadSystemSchema = z.looseObject({
  /** Where the bridge for this lead stands: dialing-owner, connected, missed, scheduled, skipped… */
  bridge: z
    .looseObject({
      status: z.string(),
      callId: z.string().optional(),
      reason: z.string().optional(),
      /** Which rung of the call ladder, and whose phone. */
      rung: z.number().optional(),
      to: z.string().optional(),
    })
    .optional(),
  score: z
    .looseObject({ value: z.number(), reasons: z.array(z.string()), model: z.string(), provider: z.string() })
    .optional(),
  analysis: callAnalysis.extend({ callId: z.string().optional() }).optional(),
  transcription: z.string().optional(),
  lastCallStatus: z.string().optional(),
  lastMissedCallAt: at.optional(),
  /** How many intakes named this person, and when the first one arrived (speed-to-lead starts here). */
  intakes: z.number().optional(),
  lastIntake: z.looseObject({ source: z.string(), at }).optional(),
  receivedAt: at.optional(),
  /** The last time the person called or texted the project themselves (the contact gate's reply window). */
  lastInboundAt: at.optional(),
  /**
   * What the intake said about consent (workers/intake/consent.ts): `sms` true only when the
   * form carried an affirmative consent field or the source's own flag; `field` names it.
   */
  consent: z
    .looseObject({
      sms: z.boolean(),
      basis: z.enum(["express", "inquiry"]),
      field: z.string().optional(),
      phone: z.string().optional(),
      at,
    })
    .optional(),
  /** A past customer brought in by a CSV import: which import and line, and the consent basis an admin attested to. */
  imported: z
    .looseObject({
      importId: z.string(),
      line: z.number(),
      /** The number the attestation was made for: a phone edited later is not covered by it. */
      phone: z.string().optional(),
      consent: z.looseObject({
        basis: z.enum(["existing-customer", "explicit-opt-in"]),
        attestedBy: z.string().nullable(),
        at,
      }),
    })
    .optional(),
  /** A lead the hunter found on a job board (workers/hunter/): where, when, what it read, and the owner's alert. */
  hunt: z
    .looseObject({
      platform: z.string(),
      url: z.string(),
      keyword: z.string(),
      place: z.string().nullable().optional(),
      fetchedAt: at,
      postedAt: z.string().nullable().optional(),
      urgency: z.string().optional(),
      /** The number the poster published: the only one the owner's opt-in may have Apex call. */
      publicPhone: z.string().optional(),
      sourceText: z.string().optional(),
      screenshot: z.looseObject({ stored: z.boolean(), bytes: z.number().optional() }).optional(),
      extractedBy: z.looseObject({ provider: z.string(), model: z.string() }).optional(),
      runId: z.string().optional(),
      alertedAt: at.optional(),
    })
    .optional(),
  /** Actions Apex did not take for this lead, and why (spend cap, opt-out, quiet hours…), newest last. */
  shed: z
    .array(z.looseObject({ action: z.string(), reason: z.string(), detail: z.string().optional(), at }))
    .optional(),
});
export type LeadSystem = z.infer<typeof leadSystemSchema>;

const systemSchemas = { lead: leadSystemSchema, call: callSystemSchema } as const;

/** A call's system state, typed; `{}` when there is none (a call a person logged by hand). */
export function callSystem(entity: { system: Record<string, unknown> }): CallSystem {
  const parsed = callSystemSchema.safeParse(entity.system);
  return parsed.success ? parsed.data : {};
}

export function leadSystem(entity: { system: Record<string, unknown> }): LeadSystem {
  const parsed = leadSystemSchema.safeParse(entity.system);
  return parsed.success ? parsed.data : {};
}

/**
 * Keys of built-in types that only Apex writes. A client that sends one in
 * `data` gets a 422 naming it, so nobody mistakes `data.score` for the score.
 */
export function systemKeysIn(type: string, data: unknown): FieldError[] {
  const schema = systemSchemas[type as keyof typeof systemSchemas];
  if (!schema || typeof data !== "object" || data === null) return [];
  // A hand-logged call may say who called whom; the rest of a call's state is Apex's.
  const tenantMayWrite = type === "call" ? new Set(["direction", "from", "to", "durationSeconds"]) : new Set<string>();
  return Object.keys(schema.shape)
    .filter((key) => !tenantMayWrite.has(key) && Object.hasOwn(data, key))
    .map((key) => ({ field: `data.${key}`, message: "is written by Apex only; read it from `system`" }));
}
