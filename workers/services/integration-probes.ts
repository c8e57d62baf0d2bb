import { twilioClient, twilioConfigured } from "../integrations/twilio/client";
import { platformLlm } from "../llm/platform";
import { byStatus, listModels, type Reachability, unreachable } from "../llm/reachability";
import type { ProviderName } from "../llm/types";
import { ProbeCache } from "./probe-cache";

/**
 * Cheap, cached probes of what health reports beside the core: Twilio (the
 * account fetch) and the platform's model provider (its model list). Each
 * answers within PROBE_TIMEOUT_MS whatever the library under it does, so a
 * slow provider costs /api/health at most that. The browser binding has no
 * cheap probe — opening a session is seconds and billed — so health reports
 * only whether it is bound.
 */
export const PROBE_TIMEOUT_MS = 1_500;

export type IntegrationStatus = "ok" | "refused" | "unreachable" | "not-configured";

export interface IntegrationProbe {
  status: IntegrationStatus;
  reason?: string;
}

const cache = new ProbeCache();

async function withinTimeout(work: () => Promise<Reachability>): Promise<Reachability> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Reachability>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: "unreachable", reason: `no answer within ${PROBE_TIMEOUT_MS} ms` }),
      PROBE_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([work(), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function fetchTwilioAccount(env: Env, accountSid: string): Promise<Reachability> {
  try {
    const account = await twilioClient(env).api.v2010.accounts(accountSid).fetch();
    return account.status === "active" ? { status: "ok" } : { status: "refused", reason: `account ${account.status}` };
  } catch (error) {
    // The library's RestException carries Twilio's HTTP status; its message may name the account, so it is not kept.
    const status = (error as { status?: unknown }).status;
    return typeof status === "number" ? byStatus(status) : unreachable(error, PROBE_TIMEOUT_MS);
  }
}

/** GET /2010-04-01/Accounts/{AccountSid}.json through the real client: the address, the credentials and the account. */
export async function probeTwilio(env: Env): Promise<IntegrationProbe> {
  const accountSid = env.TWILIO_ACCOUNT_SID;
  if (!twilioConfigured(env) || !accountSid) return { status: "not-configured" };
  // The token's last four characters, enough to tell a rotated token from the old one.
  const key = `twilio ${env.TWILIO_API_BASE_URL || "https://api.twilio.com"} ${accountSid} …${(env.TWILIO_AUTH_TOKEN ?? "").slice(-4)}`;
  return cache.get(key, () => withinTimeout(() => fetchTwilioAccount(env, accountSid)));
}

/**
 * The platform's provider (workers/llm/platform.ts, what tenants without a
 * choice of their own use). The rules need nothing: `not-configured` says no
 * model is, not that anything is broken.
 */
export async function probeLlm(env: Env): Promise<IntegrationProbe & { provider: ProviderName }> {
  const llm = platformLlm(env);
  if (llm.provider === "rules") return { provider: "rules", status: "not-configured" };
  const key = `gemini ${llm.baseUrl ?? "https://generativelanguage.googleapis.com"} …${llm.apiKey.slice(-4)}`;
  const answer = await cache.get(key, () =>
    withinTimeout(() => listModels(llm, { timeoutMs: PROBE_TIMEOUT_MS, appEnv: env.APP_ENV })),
  );
  return { provider: llm.provider, ...answer };
}
