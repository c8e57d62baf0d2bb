/**
 * What each billable resource costs Apex, in micro-dollars per unit, for
 * the usage ledger. Cost = quantity × unit price, rounded up to a whole micro-dollar
 * per use. The price is copied onto each usage row, so changing a number here
 * never rewrites a past month.
 */
export const PRICES = {
  /** An outbound leg: the bridge's call to the owner, its customer leg, an inbound call's forward. */
  voice_minute: { unit: "minute", microsPerUnit: 14_000 },
  /** A customer's call into the tracking number. */
  voice_inbound_minute: { unit: "minute", microsPerUnit: 8_500 },
  recording_minute: { unit: "minute", microsPerUnit: 2_500 },
  /** A stored recording's first month in R2 (retention deletes it later). */
  recording_storage_mb: { unit: "MB-month", microsPerUnit: 15 },
  sms_segment: { unit: "segment", microsPerUnit: 7_900 },
  /** A local number's month (Twilio's US local number): recorded when it is bought. */
  phone_number_month: { unit: "month", microsPerUnit: 1_150_000 },
  llm_input_token: { unit: "token", microsPerUnit: 0.3 },
  llm_output_token: { unit: "token", microsPerUnit: 2.5 },
  transcription_minute: { unit: "minute", microsPerUnit: 6_000 },
  browser_second: { unit: "second", microsPerUnit: 30 },
} as const satisfies Record<string, { unit: string; microsPerUnit: number }>;

export type Resource = keyof typeof PRICES;
export const RESOURCES = Object.keys(PRICES) as [Resource, ...Resource[]];

export function costMicros(resource: Resource, quantity: number): number {
  return Math.ceil(quantity * PRICES[resource].microsPerUnit);
}

export const microsToUsd = (micros: number) => Math.round(micros) / 1_000_000;
export const usdToMicros = (usd: number) => Math.round(usd * 1_000_000);

/** `2026-11` for the UTC month containing `at`: spend caps are per calendar month. */
export const monthOf = (at: Date | number) => new Date(at).toISOString().slice(0, 7);
