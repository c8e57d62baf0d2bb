import { ApiError, GoogleGenAI } from "@google/genai";
import { describeError } from "../logger";
import { fetchOutbound, OutboundStatusError } from "../outbound/fetch";
import { Problem } from "../problems";

/**
 * Whether a provider answers: `refused` when it answered but turned us away
 * (a bad key, a closed account), `unreachable` when it did not answer in time,
 * failed, or was rate limited. Reasons name a status or a timeout, never an
 * answer's body.
 */
export type Reachability = { status: "ok" } | { status: "refused" | "unreachable"; reason: string };

type ModelListTarget =
  | { provider: "gemini"; apiKey: string; baseUrl?: string | undefined }
  | { provider: "openai"; apiKey: string; baseUrl: string };

/** An HTTP status → refused (the caller's credentials or account) or unreachable (the provider's trouble). */
export function byStatus(status: number): Reachability {
  const reason = `answered ${status}`;
  return status === 408 || status === 429 || status >= 500
    ? { status: "unreachable", reason }
    : { status: "refused", reason };
}

export const unreachable = (error: unknown, timeoutMs: number): Reachability => ({
  status: "unreachable",
  reason:
    error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")
      ? `no answer within ${timeoutMs} ms`
      : describeError(error).slice(0, 160),
});

/**
 * The cheapest authenticated call each provider has: one page of its model
 * list (Gemini `GET /v1beta/models`, OpenAI-compatible `GET {base}/models`).
 * It costs no tokens and proves the address, the key and the account at once.
 */
export async function listModels(
  target: ModelListTarget,
  options: { timeoutMs: number; appEnv: string },
): Promise<Reachability> {
  try {
    if (target.provider === "gemini") {
      const ai = new GoogleGenAI({
        apiKey: target.apiKey,
        httpOptions: { ...(target.baseUrl ? { baseUrl: target.baseUrl } : {}), timeout: options.timeoutMs },
      });
      await ai.models.list({ config: { pageSize: 1, abortSignal: AbortSignal.timeout(options.timeoutMs) } });
    } else {
      // The tenant's base URL: under the outbound-URL policy like every call to it.
      const response = await fetchOutbound(
        `${target.baseUrl.replace(/\/$/, "")}/models`,
        { headers: { authorization: `Bearer ${target.apiKey}` } },
        { appEnv: options.appEnv, field: "baseUrl", what: "OpenAI-compatible endpoint", timeoutMs: options.timeoutMs },
      );
      await response.body?.cancel();
    }
    return { status: "ok" };
  } catch (error) {
    if (error instanceof ApiError || error instanceof OutboundStatusError) return byStatus(error.status);
    if (error instanceof Problem) return { status: "refused", reason: "base URL refused by the outbound-URL policy" };
    return unreachable(error, options.timeoutMs);
  }
}
