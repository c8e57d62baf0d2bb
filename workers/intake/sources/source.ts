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
 * the intake route, its secret (services/intake-secrets.ts), the owner's
 * whisper (its label) and the leads filter all derive from that list.
 */
export interface LeadSourceDefinition {
  /** The path segment (`/webhooks/leads/{id}`) and the lead's `data.source`. */
  id: string;
  /** How the owner hears where the lead came from ("New lead from {label}…"). */
  label: string;
  /** What the owner calls this source's shared secret ("form token"): on the settings page and in its audit rows. */
  secretLabel: string;
  /** Where the owner puts the secret so the source sends it (shown beside its hint). */
  secretUse: string;
  /**
   * Whether the settings page offers to type in a secret the owner already
   * has (the source's own setup asks for one); otherwise Apex generates it.
   */
  ownerMayChooseSecret: boolean;
  /** The rule (length) for a secret the owner gives; one Apex generates always fits it. */
  secretSchema: z.ZodType<string>;
  /** Where the request carries the proof, and what to say when it is missing or wrong. */
  proofFrom(request: ProofCarrier): string | undefined;
  refusal: string;
  /** The verified body as a lead; throws a problem naming the field. */
  normalize(body: unknown): NormalizedLead;
}
