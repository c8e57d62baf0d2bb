import { z } from "zod";
import { Problem, zodFieldErrors } from "../problems";
import type { ServiceContext } from "../service-context";
import { resolveLlm } from "../services/llm-settings";
import { spendGate, spendRefused } from "../services/spend-gate";
import { recordUsage } from "../services/usage";
import { modelFor } from "./models";
import { geminiProvider } from "./providers/gemini";
import { openAiProvider } from "./providers/openai";
import { rulesProvider } from "./providers/rules";
import { type LlmProvider, type ProviderAnswer, TransientLlmError } from "./types";

/**
 * The LLM gateway every agent calls. Around each provider call:
 * the tenant's provider and key are resolved; the spend gate is asked first
 * (all model use is optional AI: past 90 % of the cap, tasks the rule-based
 * provider can do fall back to it, for free, and say so in `shed`; others
 * are refused with a 402); 429/5xx/timeouts are retried with backoff; every
 * call's tokens land in the usage ledger under an idempotency key (a retried
 * agent never bills twice); structured answers are zod-validated, repaired
 * once, and otherwise fail with the validation error.
 */
type LlmContext = Pick<ServiceContext, "env" | "db" | "actor"> & {
  projectId: string;
  /** Base of the usage ledger keys: stable across retries of one agent run. */
  runKey: string;
};

interface LlmResult<T> {
  value: T;
  provider: string;
  model: string;
  /** Set when the spend gate shed the paid model and the rule-based provider answered instead. */
  shed?: { reason: string; detail: string };
}

/** Tasks the rule-based provider can do (providers/rules.ts): the free fallback when paid AI is shed. */
const RULES_CAN = new Set(["lead_scorer", "analyze_call", "hunt_extract", "write_pages"]);

const RETRIES = 3;

function providerOf(resolved: Awaited<ReturnType<typeof resolveLlm>>, appEnv: string): LlmProvider {
  if (resolved.provider === "rules") return rulesProvider;
  if (!resolved.apiKey) throw new Error(`no API key for ${resolved.provider}`);
  if (resolved.provider === "openai")
    return openAiProvider({ apiKey: resolved.apiKey, baseUrl: resolved.baseUrl ?? "", appEnv });
  return geminiProvider({ apiKey: resolved.apiKey, baseUrl: resolved.baseUrl });
}

async function prepare(
  context: LlmContext,
  task: string,
): Promise<{ provider: LlmProvider; model: string; shed?: LlmResult<unknown>["shed"] }> {
  const resolved = await resolveLlm(context);
  const provider = providerOf(resolved, context.env.APP_ENV);
  // The rule-based provider costs nothing; every other one spends.
  if (provider.name === "rules") return { provider, model: modelFor(provider.name, task, resolved.model) };
  const decision = await spendGate(context.projectId, "optional-ai", context);
  if (decision.allowed) return { provider, model: modelFor(provider.name, task, resolved.model) };
  if (!RULES_CAN.has(task)) throw spendRefused(context.projectId, decision);
  return {
    provider: rulesProvider,
    model: modelFor("rules", task),
    shed: { reason: decision.reason, detail: decision.detail },
  };
}

async function withRetries(work: () => Promise<ProviderAnswer>): Promise<ProviderAnswer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof TransientLlmError) || attempt >= RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
    }
  }
}

async function bill(context: LlmContext, task: string, step: string, answer: ProviderAnswer): Promise<void> {
  const entries = [
    ["llm_input_token", answer.usage.inputTokens, "in"],
    ["llm_output_token", answer.usage.outputTokens, "out"],
  ] as const;
  for (const [resource, quantity, suffix] of entries) {
    if (quantity <= 0) continue;
    await recordUsage(
      {
        projectId: context.projectId,
        resource,
        quantity,
        source: task,
        reference: answer.model,
        idempotencyKey: `llm:${context.runKey}:${step}:${suffix}`,
      },
      context,
    );
  }
}

function invalidOutput(task: string, errors: { field: string; message: string }[]): Problem {
  return new Problem({
    status: 422,
    code: "llm-output-invalid",
    title: "The model's answer failed validation",
    detail: `${task}: the model answered twice with output that does not match the schema: ${errors
      .map((e) => `${e.field}: ${e.message}`)
      .join("; ")}`,
    errors,
  });
}

function check<S extends z.ZodType>(
  schema: S,
  text: string,
): { ok: true; value: z.infer<S> } | { ok: false; errors: { field: string; message: string }[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, errors: [{ field: "(output)", message: "is not JSON" }] };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: zodFieldErrors(parsed.error.issues, "", "(output)"),
  };
}

export async function generateStructured<S extends z.ZodType>(
  schema: S,
  request: { task: string; system?: string; prompt: string; input?: Record<string, unknown> },
  context: LlmContext,
): Promise<LlmResult<z.infer<S>>> {
  const { provider, model, shed } = await prepare(context, request.task);
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema) as Record<string, unknown>;
  const ask = (prompt: string) =>
    withRetries(() =>
      provider.generate({
        task: request.task,
        model,
        system: request.system,
        prompt,
        jsonSchema,
        input: request.input,
      }),
    );
  const first = await ask(request.prompt);
  await bill(context, request.task, "1", first);
  const checked = check(schema, first.text);
  if (checked.ok)
    return { value: checked.value, provider: provider.name, model: first.model, ...(shed ? { shed } : {}) };
  // One repair: the model sees what was wrong with its answer.
  const repairPrompt =
    `${request.prompt}\n\nYour previous answer was rejected: ${checked.errors.map((e) => `${e.field} ${e.message}`).join("; ")}.` +
    "\nAnswer again with JSON that matches the schema exactly.";
  const second = await ask(repairPrompt);
  await bill(context, request.task, "2", second);
  const rechecked = check(schema, second.text);
  if (rechecked.ok)
    return { value: rechecked.value, provider: provider.name, model: second.model, ...(shed ? { shed } : {}) };
  throw invalidOutput(request.task, rechecked.errors);
}

/**
 * Audio → text. Providers that price audio by the minute (OpenAI's
 * transcription models) are billed in transcription minutes, from the
 * recording's duration; Gemini prices audio as input tokens.
 */
export async function transcribe(
  audio: ArrayBuffer,
  mimeType: string,
  context: LlmContext,
  durationSeconds?: number,
): Promise<LlmResult<string>> {
  const { provider, model } = await prepare(context, "transcribe_call");
  const answer = await withRetries(() => provider.transcribe(audio, mimeType, model));
  await bill(context, "transcribe_call", "1", answer);
  if (provider.name === "openai" && durationSeconds && durationSeconds > 0) {
    await recordUsage(
      {
        projectId: context.projectId,
        resource: "transcription_minute",
        quantity: Math.ceil(durationSeconds / 60),
        source: "transcribe_call",
        reference: answer.model,
        idempotencyKey: `llm:${context.runKey}:transcription-minutes`,
      },
      context,
    );
  }
  return { value: answer.text, provider: provider.name, model: answer.model };
}

export async function embed(texts: string[], context: LlmContext): Promise<LlmResult<number[][]>> {
  const { provider, model } = await prepare(context, "embed");
  const result = await provider.embed(texts, model);
  await bill(context, "embed", "1", { text: "", usage: result.usage, model: result.model });
  return { value: result.vectors, provider: provider.name, model: result.model };
}
