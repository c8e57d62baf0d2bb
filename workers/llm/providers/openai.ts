import { fetchOutbound, OutboundStatusError } from "../../outbound/fetch";
import { Problem } from "../../problems";
import { type GenerateRequest, type LlmProvider, type ProviderAnswer, TransientLlmError } from "../types";

const WHAT = "OpenAI-compatible endpoint";

/**
 * Any OpenAI-compatible endpoint, over plain fetch: /chat/completions,
 * /audio/transcriptions, /embeddings. The base URL is the tenant's, so every
 * call goes through the outbound-URL policy (`appEnv` decides its rule): no
 * redirects, so the tenant's key is never re-sent elsewhere, and a failed
 * answer is reported by status only — its body may be an internal page.
 */
export function openAiProvider(config: { apiKey: string; baseUrl: string; appEnv: string }): LlmProvider {
  const base = config.baseUrl.replace(/\/$/, "");
  async function post(path: string, body: BodyInit, json: boolean): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetchOutbound(
        `${base}${path}`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${config.apiKey}`,
            ...(json ? { "content-type": "application/json" } : {}),
          },
          body,
        },
        { appEnv: config.appEnv, field: "baseUrl", what: WHAT, timeoutMs: 30_000 },
      );
    } catch (error) {
      // A refused URL is final; so is any answer but 429 and 5xx.
      if (error instanceof Problem) throw error;
      if (error instanceof OutboundStatusError) {
        if (error.status === 429 || error.status >= 500) throw new TransientLlmError(error.message);
        throw error;
      }
      throw new TransientLlmError(`${WHAT} unreachable: ${String(error)}`);
    }
    return (await response.json()) as Record<string, unknown>;
  }
  const usageOf = (body: Record<string, unknown>) => {
    const usage = (body.usage ?? {}) as { prompt_tokens?: number; completion_tokens?: number };
    return { inputTokens: usage.prompt_tokens ?? 0, outputTokens: usage.completion_tokens ?? 0 };
  };
  return {
    name: "openai",
    async generate(request: GenerateRequest): Promise<ProviderAnswer> {
      const body = await post(
        "/chat/completions",
        JSON.stringify({
          model: request.model,
          temperature: 0.2,
          messages: [
            ...(request.system ? [{ role: "system", content: request.system }] : []),
            { role: "user", content: request.prompt },
          ],
          ...(request.jsonSchema
            ? {
                response_format: {
                  type: "json_schema",
                  json_schema: { name: request.task, schema: request.jsonSchema },
                },
              }
            : {}),
        }),
        true,
      );
      const choice = (body.choices as { message?: { content?: string } }[] | undefined)?.[0];
      return { text: choice?.message?.content ?? "", usage: usageOf(body), model: request.model };
    },
    async transcribe(audio: ArrayBuffer, mimeType: string, model: string): Promise<ProviderAnswer> {
      const form = new FormData();
      form.append("model", model);
      form.append("file", new Blob([audio], { type: mimeType }), "call.wav");
      const body = await post("/audio/transcriptions", form, false);
      return { text: String(body.text ?? ""), usage: usageOf(body), model };
    },
    async embed(texts: string[], model: string) {
      const body = await post("/embeddings", JSON.stringify({ model, input: texts }), true);
      const vectors = ((body.data as { embedding: number[] }[] | undefined) ?? []).map((d) => d.embedding);
      return { vectors, usage: usageOf(body), model };
    },
  };
}
