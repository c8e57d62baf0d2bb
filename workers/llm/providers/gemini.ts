import { ApiError, GoogleGenAI } from "@google/genai";
import { toBase64 } from "../../auth/encoding";
import { type GenerateRequest, type LlmProvider, type ProviderAnswer, TransientLlmError } from "../types";

/** Google Gemini through @google/genai; `baseUrl` points it at the local simulator in dev and tests. */
export function geminiProvider(config: { apiKey: string; baseUrl?: string | undefined }): LlmProvider {
  const ai = new GoogleGenAI({
    apiKey: config.apiKey,
    ...(config.baseUrl
      ? { httpOptions: { baseUrl: config.baseUrl, timeout: 30_000 } }
      : { httpOptions: { timeout: 30_000 } }),
  });

  async function call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ApiError && (error.status === 429 || error.status >= 500)) {
        throw new TransientLlmError(`Gemini answered ${error.status}: ${error.message}`);
      }
      if (error instanceof Error && /timed? ?out|abort/i.test(error.message))
        throw new TransientLlmError(error.message);
      throw error;
    }
  }

  return {
    name: "gemini",
    async generate(request: GenerateRequest): Promise<ProviderAnswer> {
      const response = await call(() =>
        ai.models.generateContent({
          model: request.model,
          contents: [{ role: "user", parts: [{ text: request.prompt }] }],
          config: {
            ...(request.system ? { systemInstruction: request.system } : {}),
            ...(request.jsonSchema
              ? { responseMimeType: "application/json", responseJsonSchema: request.jsonSchema }
              : {}),
            temperature: 0.2,
          },
        }),
      );
      return {
        text: response.text ?? "",
        model: request.model,
        usage: {
          inputTokens: response.usageMetadata?.promptTokenCount ?? 0,
          outputTokens: response.usageMetadata?.candidatesTokenCount ?? 0,
        },
      };
    },
    async transcribe(audio: ArrayBuffer, mimeType: string, model: string): Promise<ProviderAnswer> {
      const response = await call(() =>
        ai.models.generateContent({
          model,
          contents: [
            {
              role: "user",
              parts: [
                {
                  text: "Transcribe this phone call verbatim, one line per speaker turn, labelled Customer: and Owner:.",
                },
                { inlineData: { mimeType, data: toBase64(new Uint8Array(audio)) } },
              ],
            },
          ],
        }),
      );
      return {
        text: response.text ?? "",
        model,
        usage: {
          inputTokens: response.usageMetadata?.promptTokenCount ?? 0,
          outputTokens: response.usageMetadata?.candidatesTokenCount ?? 0,
        },
      };
    },
    async embed(texts: string[], model: string) {
      const response = await call(() => ai.models.embedContent({ model, contents: texts }));
      const vectors = (response.embeddings ?? []).map((e) => e.values ?? []);
      return { vectors, model, usage: { inputTokens: Math.ceil(texts.join(" ").length / 4), outputTokens: 0 } };
    },
  };
}
