/**
 * One interface over every model Apex talks to (Gemini, OpenAI-compatible,
 * offline rules): structured output
 * (a JSON schema in, text that should parse out), free text, audio
 * transcription and embeddings. Providers are thin: validation, repair,
 * retries, spend checks and the usage ledger live in the gateway.
 */
export type ProviderName = "gemini" | "openai" | "rules";

interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ProviderAnswer {
  text: string;
  usage: TokenUsage;
  model: string;
}

export interface GenerateRequest {
  task: string;
  model: string;
  system?: string | undefined;
  prompt: string;
  /** When set, the provider is asked for JSON matching this schema. */
  jsonSchema?: Record<string, unknown> | undefined;
  /** The structured input behind the prompt: what the rule-based provider reads. */
  input?: Record<string, unknown> | undefined;
}

export interface LlmProvider {
  readonly name: ProviderName;
  generate(request: GenerateRequest): Promise<ProviderAnswer>;
  transcribe(audio: ArrayBuffer, mimeType: string, model: string): Promise<ProviderAnswer>;
  embed(texts: string[], model: string): Promise<{ vectors: number[][]; usage: TokenUsage; model: string }>;
}

/** A provider failure worth retrying: rate limited, timed out, or a 5xx. */
export class TransientLlmError extends Error {}
