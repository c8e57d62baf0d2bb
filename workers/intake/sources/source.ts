import type { z } from "zod";

/** A lead as every source hands it over, before phone and email are checked. */
export interface NormalizedLead {
  name: string;
  phone?: string | undefined;
  email?: string | undefined;
  message?: string | undefined;
  /** The source's own id for this lead (Google's lead_id, a form plugin's entry id). */
  sourceLeadId?: string | undefined;
  utm: Record<string, string>;
  gclid?: string | undefined;
  isTest: boolean;
}

/** What the intake route lets a source read from the request to prove itself. */
export interface ProofCarrier {
  body: unknown;
  header(name: string): string | undefined;
  query(name: string): string | undefined;
}

/**
 * One lead source: everything Apex knows about it lives in its own file.
 * Adding a source is a file in this folder and a line in sources/index.ts;
 * the intake route, the settings schema (its secret), the owner's whisper
 * (its label) and the leads filter all derive from that list.
 */
export interface LeadSourceDefinition {
  /** The path segment (`/webhooks/leads/{id}`) and the lead's `data.source`. */
  id: string;
  /** How the owner hears where the lead came from ("New lead from {label}…"). */
  label: string;
  /** The key of this source's shared secret in the speed-to-lead settings' `intake`. */
  secretSetting: string;
  /** The secret's own rule (length), checked when settings are saved. */
  secretSchema: z.ZodType<string>;
  /** Where the request carries the proof, and what to say when it is missing or wrong. */
  proofFrom(request: ProofCarrier): string | undefined;
  refusal: string;
  /** The verified body as a lead; throws a problem naming the field. */
  normalize(body: unknown): NormalizedLead;
}
