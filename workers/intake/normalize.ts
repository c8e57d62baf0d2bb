import { z } from "zod";
import { toE164 } from "../phone";
import { type FieldError, problems } from "../problems";
import type { SpeedToLeadSettings } from "../speed-to-lead/settings";
import { findBadText } from "../text/unicode";
import { consentFrom, type IntakeConsent } from "./consent";
import type { LeadSourceDefinition, NormalizedLead } from "./sources/source";

/**
 * A verified source's body as a lead: the source reads its own format, then
 * every lead passes the same checks — a phone in E.164 (in the project's
 * default country), a real email, one of the two, bounded text — and what the
 * form said about consent is read from it (intake/consent.ts).
 */
export function normalizeLead(
  source: LeadSourceDefinition,
  body: unknown,
  settings: SpeedToLeadSettings,
): NormalizedLead & { consent: IntakeConsent } {
  const badText = findBadText(body);
  if (badText.length > 0) throw problems.validation(badText);
  const lead = source.normalize(body);
  const errors: FieldError[] = [];
  const phone = lead.phone ? toE164(lead.phone, settings.defaultCountry) : undefined;
  if (lead.phone && !phone) errors.push({ field: "phone", message: `${lead.phone} is not a phone number` });
  const email = lead.email?.toLowerCase();
  if (email && !z.email().safeParse(email).success)
    errors.push({ field: "email", message: `${lead.email} is not an email address` });
  if (!lead.phone && !lead.email) errors.push({ field: "phone", message: "a lead needs a phone or an email" });
  if (lead.name.length > 200) errors.push({ field: "name", message: "at most 200 characters" });
  if ((lead.message?.length ?? 0) > 5_000) errors.push({ field: "message", message: "at most 5000 characters" });
  if (errors.length > 0) throw problems.validation(errors);
  return { ...lead, phone, email, consent: { ...consentFrom(body), ...(phone ? { phone } : {}) } };
}
