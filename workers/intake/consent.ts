/**
 * What a lead's form said about being contacted, read at intake and kept on
 * the lead (`system.consent`) for the contact gate (workers/contact/policy.ts).
 *
 * Express consent to texts is recorded only when the form carried an
 * affirmative answer in a field whose name says it is consent to be texted
 * or called: `sms_consent`, `tcpa`, `text_opt_in`, `marketing_consent`,
 * `phone_contact_ok`, or a Google lead-form question like "Do you agree to
 * receive text messages?". A terms or privacy checkbox (`acceptance-231`,
 * `privacy_agree`) is not consent to texts, and a "no" in any such field
 * wins over a "yes" in another. Anything else — no such field, an unchecked
 * box — is the person's own inquiry only: Apex may answer it (a call back,
 * a text-back), never market to it.
 */
export interface IntakeConsent {
  sms: boolean;
  basis: "express" | "inquiry";
  /** The field that carried the answer, when there was one. */
  field?: string;
  /** The number the consent was given for (E.164): it never follows an edited phone. */
  phone?: string;
  at: string;
}

/** What the field is about: being texted, called or marketed to… */
const ABOUT_CONTACT = /(sms|text|tcpa|marketing|call|phone|contact)/i;
/** …and that it asks for permission (TCPA names both at once). */
const ASKS_PERMISSION = /(consent|tcpa|opt[-_ ]?in|agree|accept|permission|ok\b|allow)/i;
/** Names that ask the opposite. */
const ASKS_REFUSAL = /(disagree|decline|opt[-_ ]?out|unsubscribe|do[-_ ]?not|dont|don't)/i;
const isConsentField = (name: string) =>
  ABOUT_CONTACT.test(name) && ASKS_PERMISSION.test(name) && !ASKS_REFUSAL.test(name);
const NO = new Set(["0", "false", "no", "n", "off", "unchecked", "decline", "declined", ""]);
const YES = new Set([
  "1",
  "true",
  "yes",
  "y",
  "on",
  "checked",
  "agree",
  "agreed",
  "accept",
  "accepted",
  "i agree",
  "si",
  "sí",
  "oui",
]);

/** Every (name, value) pair of a form body: flat fields, nested `fields`/`data`, and Google's user_column_data. */
function answers(body: unknown): [string, string][] {
  const found: [string, string][] = [];
  const visit = (value: unknown, depth: number) => {
    if (depth > 3 || !value || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }
    const record = value as Record<string, unknown>;
    // Google lead forms: { column_id, column_name, string_value }.
    if (typeof record.string_value === "string") {
      const name = [record.column_id, record.column_name].filter((n) => typeof n === "string").join(" ");
      if (name) found.push([name, record.string_value]);
      return;
    }
    for (const [key, inner] of Object.entries(record)) {
      if (typeof inner === "string" || typeof inner === "number" || typeof inner === "boolean")
        found.push([key, String(inner)]);
      else visit(inner, depth + 1);
    }
  };
  visit(body, 0);
  return found;
}

export function consentFrom(body: unknown, at: Date = new Date()): IntakeConsent {
  const fields = answers(body).filter(([name]) => isConsentField(name));
  const answer = (value: string) => value.trim().toLowerCase();
  const no = fields.find(([, value]) => NO.has(answer(value)));
  const yes = fields.find(([, value]) => YES.has(answer(value)));
  if (yes && !no) return { sms: true, basis: "express", field: yes[0].slice(0, 100), at: at.toISOString() };
  const asked = no ?? fields[0];
  return { sms: false, basis: "inquiry", ...(asked ? { field: asked[0].slice(0, 100) } : {}), at: at.toISOString() };
}
