/**
 * The deployment's own model: what every tenant that chose none uses, and
 * what /api/health probes. Gemini when the platform has a key (pointed at the
 * local simulator by GEMINI_API_BASE_URL in dev and tests), else the rules,
 * which need nothing.
 */
export type PlatformLlm = { provider: "gemini"; apiKey: string; baseUrl: string | undefined } | { provider: "rules" };

export function platformLlm(env: Pick<Env, "GEMINI_API_KEY" | "GEMINI_API_BASE_URL">): PlatformLlm {
  return env.GEMINI_API_KEY
    ? { provider: "gemini", apiKey: env.GEMINI_API_KEY, baseUrl: env.GEMINI_API_BASE_URL || undefined }
    : { provider: "rules" };
}
