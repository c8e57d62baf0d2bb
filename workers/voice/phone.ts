import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js";

/** E.164 (`+15551234567`) or undefined when the input is not a possible number. */
export function toE164(raw: string | undefined | null, defaultCountry = "US"): string | undefined {
  if (!raw) return undefined;
  const parsed = parsePhoneNumberFromString(raw.trim(), defaultCountry.toUpperCase() as CountryCode);
  return parsed?.isPossible() ? parsed.number : undefined;
}
