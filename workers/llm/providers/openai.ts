import { type GenerateRequest, type LlmProvider, type ProviderAnswer, TransientLlmError } from "../types";

/** Any OpenAI-compatible endpoint, over plain fetch: /chat/completions, /audio/transcriptions, /embeddings. */
export function openAiProvider(config: { apiKey: string; baseUrl: string }): LlmProvider {
  const base = config.baseUrl.replace(/\/$/, "");
  async function post(path: string, body: BodyInit, json: boolean): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${config.apiKey}`, ...(json ? { "content-type": "application/json" } : {}) },
        body,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new TransientLlmError(`OpenAI-compatible endpoint unreachable: ${String(error)}`);
    }
    if (response.status === 429 || response.status >= 500) {
      throw new TransientLlmError(`OpenAI-compatible endpoint answered ${response.status}`);
    }
    if (!response.ok)
      throw new Error(
        `OpenAI-compatible endpoint answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
      );
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
