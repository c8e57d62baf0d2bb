import { z } from "zod";
import { problems, zodFieldErrors } from "../../problems";
import type { LeadSourceDefinition } from "./source";

/** Google Ads lead form extensions: Google posts its JSON with the key the advertiser set, inside the body. */
const googleLead = z.object({
  lead_id: z.string().min(1),
  google_key: z.string().optional(),
  is_test: z.boolean().optional(),
  gcl_id: z.string().optional(),
  campaign_id: z.union([z.number(), z.string()]).optional(),
  form_id: z.union([z.number(), z.string()]).optional(),
  user_column_data: z
    .array(
      z.object({
        column_id: z.string().optional(),
        column_name: z.string().optional(),
        string_value: z.string().optional(),
      }),
    )
    .default([]),
});

const KNOWN_COLUMNS = new Set(["FULL_NAME", "FIRST_NAME", "LAST_NAME", "PHONE_NUMBER", "EMAIL"]);

export const googleAds = {
  id: "google-ads",
  label: "Google Ads",
  secretLabel: "Google Ads key",
  secretUse: "Paste it as the Key of the lead form's webhook in Google Ads.",
  ownerMayChooseSecret: true,
  secretSchema: z.string().min(8).max(200),
  proofFrom: ({ body }) => {
    const key = body && typeof body === "object" ? (body as { google_key?: unknown }).google_key : undefined;
    return typeof key === "string" ? key : undefined;
  },
  refusal: "google_key does not match this project's key.",
  normalize(body) {
    const parsed = googleLead.safeParse(body);
    if (!parsed.success) throw problems.validation(zodFieldErrors(parsed.error.issues));
    const columns = parsed.data.user_column_data;
    const value = (id: string) => columns.find((c) => c.column_id === id)?.string_value?.trim();
    const extra = columns
      .filter((c) => !KNOWN_COLUMNS.has(c.column_id ?? "") && c.string_value)
      .map((c) => `${c.column_name ?? c.column_id}: ${c.string_value}`);
    const name = value("FULL_NAME") ?? [value("FIRST_NAME"), value("LAST_NAME")].filter(Boolean).join(" ");
    return {
      name: name || "Unknown",
      phone: value("PHONE_NUMBER"),
      email: value("EMAIL"),
      message: extra.length > 0 ? extra.join("\n") : undefined,
      sourceLeadId: parsed.data.lead_id,
      utm: {
        utm_source: "google",
        utm_medium: "cpc",
        ...(parsed.data.campaign_id ? { utm_campaign: String(parsed.data.campaign_id) } : {}),
      },
      gclid: parsed.data.gcl_id,
      isTest: parsed.data.is_test ?? false,
    };
  },
} as const satisfies LeadSourceDefinition;
