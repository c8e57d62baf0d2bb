import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js";
import { z } from "zod";

/** A phone number as Apex stores it everywhere. */
export const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, "must be an E.164 phone number like +15551234567");

/** E.164 (`+15551234567`) or undefined when the input is not a possible number. */
export function toE164(raw: string | undefined | null, defaultCountry = "US"): string | undefined {
  if (!raw) return undefined;
  const parsed = parsePhoneNumberFromString(raw.trim(), defaultCountry.toUpperCase() as CountryCode);
  return parsed?.isPossible() ? parsed.number : undefined;
}
