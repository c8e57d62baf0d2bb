import type { ProviderName } from "./types";

/**
 * Model per task and provider. A tenant's own `model` setting overrides the
 * default for every task. Implicit caching on Gemini is left on (the default).
 */
const GEMINI: Record<string, string> = {
  default: "gemini-2.5-flash",
  lead_scorer: "gemini-2.5-flash-lite",
  hunt_extract: "gemini-2.5-flash-lite",
  transcribe_call: "gemini-2.5-flash",
  analyze_call: "gemini-2.5-flash",
  onboarding: "gemini-2.5-pro",
  embed: "gemini-embedding-001",
};

const OPENAI: Record<string, string> = {
  default: "gpt-4o-mini",
  transcribe_call: "whisper-1",
  embed: "text-embedding-3-small",
};

export function modelFor(provider: ProviderName, task: string, override?: string | null): string {
  if (override && task !== "embed" && task !== "transcribe_call") return override;
  const table = provider === "gemini" ? GEMINI : provider === "openai" ? OPENAI : { default: "rules-v1" };
  return table[task] ?? table.default ?? "unknown";
}
