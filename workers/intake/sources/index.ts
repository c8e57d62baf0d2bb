import { form } from "./form";
import { googleAds } from "./google-ads";
import type { LeadSourceDefinition } from "./source";
import { wordpress } from "./wordpress";

/** Every lead source that posts to `/webhooks/leads/{id}`. A new source: its file, and a line here. */
export const LEAD_SOURCES = [googleAds, wordpress, form] as const satisfies readonly LeadSourceDefinition[];

export type LeadSourceId = (typeof LEAD_SOURCES)[number]["id"];
export const LEAD_SOURCE_IDS = LEAD_SOURCES.map((s) => s.id) as [LeadSourceId, ...LeadSourceId[]];

export function leadSource(id: string): LeadSourceDefinition | undefined {
  return LEAD_SOURCES.find((s) => s.id === id);
}

/** Where else leads come from (not a webhook): a call to the tracking number. */
const OTHER_ORIGINS = [{ id: "phone-call", label: "a phone call" }] as const;

/** How the owner hears a lead's origin: a known source by its label, another by its name, none as "the web". */
export function sourceLabel(id: unknown): string {
  const known = [...LEAD_SOURCES, ...OTHER_ORIGINS].find((s) => s.id === id);
  return known?.label ?? (typeof id === "string" && id ? id : "the web");
}

/** Every origin a lead list can filter by. */
export const LEAD_ORIGIN_IDS: string[] = [...LEAD_SOURCES, ...OTHER_ORIGINS].map((s) => s.id);
