import { z } from "zod";
import { withTenant } from "../../schema/tenant-transaction";
import { openSecret, sealSecret, secretHint } from "../crypto/secret-box";
import type { ProviderName } from "../llm/types";
import { assertOutboundUrl } from "../outbound/url-policy";
import { problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import { findLlmSettings, type LlmSettingsRow, upsertLlmSettings } from "../repositories/llm-settings";
import type { ServiceContext } from "../service-context";
import { earlierEffect, recordEffect } from "./idempotent-effects";

export const llmSettingsInput = z
  .object({
    provider: z.enum(["gemini", "openai", "rules"]),
    model: z.string().min(1).max(100).optional(),
    /** OpenAI-compatible only: the API base, e.g. https://api.openai.com/v1. */
    baseUrl: z.string().max(500).optional(),
    /** Write-only: stored encrypted, shown back only as its last four characters. */
    apiKey: z.string().min(8).max(500).optional(),
  })
  .strict();

interface LlmSettingsView {
  provider: ProviderName;
  model: string | null;
  baseUrl: string | null;
  apiKey: string | null;
  /** `tenant` when the tenant chose; `platform` when the deployment's default applies. */
  source: "tenant" | "platform";
}

function platformDefault(env: Env): LlmSettingsView {
  return {
    provider: env.GEMINI_API_KEY ? "gemini" : "rules",
    model: null,
    baseUrl: null,
    apiKey: env.GEMINI_API_KEY ? "(platform key)" : null,
    source: "platform",
  };
}

const view = (row: LlmSettingsRow): LlmSettingsView => ({
  provider: row.provider as ProviderName,
  model: row.model,
  baseUrl: row.baseUrl,
  apiKey: row.apiKeyHint,
  source: "tenant",
});

export async function getLlmSettings({
  env,
  db,
  actor,
}: Pick<ServiceContext, "env" | "db" | "actor">): Promise<LlmSettingsView> {
  const row = await withTenant(db, actor.auth.tenantId, (tx) => findLlmSettings(tx, actor.auth.tenantId));
  return row ? view(row) : platformDefault(env);
}

export async function putLlmSettings(
  input: z.infer<typeof llmSettingsInput>,
  { env, db, actor, idempotency }: Pick<ServiceContext, "env" | "db" | "actor" | "idempotency">,
) {
  const tenantId = actor.auth.tenantId;
  if (input.provider === "openai") {
    if (!input.baseUrl)
      throw problems.validation([{ field: "baseUrl", message: "required for an OpenAI-compatible provider" }]);
    // Checked again on every call (workers/llm/providers/openai.ts), redirects and, in production, DNS included.
    assertOutboundUrl(input.baseUrl, { appEnv: env.APP_ENV, field: "baseUrl" });
  }
  if (input.provider !== "rules" && !input.apiKey) {
    throw problems.validation([{ field: "apiKey", message: `required for ${input.provider}` }]);
  }
  const sealed = input.apiKey ? await sealSecret(env.SECRETS_ENCRYPTION_KEY, input.apiKey, tenantId) : null;
  return withTenant(db, tenantId, async (tx) => {
    const earlier = await earlierEffect<LlmSettingsView>(tx, idempotency);
    if (earlier) return earlier;
    const before = await findLlmSettings(tx, tenantId);
    const row = await upsertLlmSettings(tx, {
      tenantId,
      provider: input.provider,
      model: input.model ?? null,
      baseUrl: input.provider === "openai" ? (input.baseUrl ?? null) : null,
      apiKeyCiphertext: sealed,
      apiKeyHint: input.apiKey ? secretHint(input.apiKey) : null,
    });
    // The audit entry names the key by its hint only.
    await recordAudit(tx, actor, {
      action: "settings.llm.set",
      entityType: "llm_settings",
      before: before ? view(before) : null,
      after: view(row),
    });
    await recordEffect(tx, tenantId, idempotency, view(row));
    return view(row);
  });
}

interface ResolvedLlm {
  provider: ProviderName;
  model: string | null;
  apiKey?: string;
  baseUrl?: string | undefined;
}

/** What an agent uses: the tenant's choice with its key decrypted, or the platform default. */
export async function resolveLlm({
  env,
  db,
  actor,
}: Pick<ServiceContext, "env" | "db" | "actor">): Promise<ResolvedLlm> {
  const row = await withTenant(db, actor.auth.tenantId, (tx) => findLlmSettings(tx, actor.auth.tenantId));
  if (!row) {
    return env.GEMINI_API_KEY
      ? { provider: "gemini", model: null, apiKey: env.GEMINI_API_KEY, baseUrl: env.GEMINI_API_BASE_URL || undefined }
      : { provider: "rules", model: null };
  }
  const apiKey = row.apiKeyCiphertext
    ? await openSecret(env.SECRETS_ENCRYPTION_KEY, row.apiKeyCiphertext, actor.auth.tenantId)
    : undefined;
  return {
    provider: row.provider as ProviderName,
    model: row.model,
    ...(apiKey ? { apiKey } : {}),
    baseUrl: row.provider === "gemini" ? env.GEMINI_API_BASE_URL || undefined : (row.baseUrl ?? undefined),
  };
}
