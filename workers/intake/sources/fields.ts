import type { NormalizedLead } from "./source";

const UTM_KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

/** The first non-empty field among common names form plugins use. */
function pick(fields: Record<string, string>, names: string[]): string | undefined {
  for (const name of names) {
    const value = fields[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

/** Flattens a JSON object or form body to string fields (nested `fields`/`data` objects are merged in). */
function flatFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (value: unknown) => {
    if (!value || typeof value !== "object" || Array.isArray(value)) return;
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (typeof inner === "string" || typeof inner === "number" || typeof inner === "boolean")
        out[key.toLowerCase()] = String(inner);
      else if (inner && typeof inner === "object" && ["fields", "data", "form", "lead"].includes(key)) visit(inner);
    }
  };
  visit(body);
  return out;
}

/** WordPress form plugins and generic forms: flat fields, JSON or form-encoded, under the names plugins use. */
export function leadFromFields(body: unknown): NormalizedLead {
  const fields = flatFields(body);
  const first = pick(fields, ["first_name", "firstname", "fname"]);
  const last = pick(fields, ["last_name", "lastname", "lname"]);
  return {
    name:
      pick(fields, ["name", "full_name", "your-name", "your_name", "fullname"]) ??
      ([first, last].filter(Boolean).join(" ") || "Unknown"),
    phone: pick(fields, ["phone", "tel", "telephone", "phone_number", "your-phone", "your_phone", "mobile"]),
    email: pick(fields, ["email", "your-email", "your_email", "email_address"]),
    message: pick(fields, ["message", "your-message", "your_message", "comments", "details", "description", "enquiry"]),
    sourceLeadId: pick(fields, ["entry_id", "lead_id", "submission_id"]),
    utm: Object.fromEntries(UTM_KEYS.flatMap((k) => (fields[k] ? [[k, fields[k] as string]] : []))),
    gclid: pick(fields, ["gclid"]),
    isTest: false,
  };
}
