/**
 * Local Gemini. Speaks the REST wire format @google/genai uses —
 * `POST /{v1beta|v1}/models/{model}:generateContent` with the key in
 * `x-goog-api-key` (or `?key=`), `contents`/`systemInstruction`/
 * `generationConfig`, and answers with `candidates[].content.parts[].text`
 * and `usageMetadata` — deterministically, from the prompt:
 *
 * - a JSON answer (responseMimeType application/json) is built from the
 *   requested schema (`responseJsonSchema` or `responseSchema`); fields Apex's
 *   prompts ask for (score, urgency, sentiment, summary …) are derived from
 *   keywords in the prompt, the rest filled with schema-shaped values;
 * - audio parts are "transcribed" into a fixed two-speaker transcript;
 * - the same answers in OpenAI's format under /openai/v1 (chat completions,
 *   audio transcriptions), for the OpenAI-compatible provider;
 * - `POST /_sim/next {"malformed":true,"match":"…"}` makes the next answer
 *   (to a prompt containing `match`) invalid JSON, `{"status":429}` an error —
 *   for repair and retry tests.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

interface GeminiSimulatorOptions {
  port: number;
  apiKey: string;
  log?: (line: string) => void;
}

interface GeminiSimulator {
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

type JsonSchema = {
  type?: string | string[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
};

interface Part {
  text?: string;
  inlineData?: { mimeType: string; data: string };
}

const URGENT = ["urgent", "emergency", "flood", "burst", "asap", "leaking", "leak", "no heat", "today", "now"];
const BUDGET = ["budget", "quote", "price", "$", "pay", "afford", "cost"];
const NEGATIVE = ["angry", "terrible", "upset", "complain", "bad", "worst", "frustrated"];
const POSITIVE = ["thanks", "great", "perfect", "happy", "appreciate", "wonderful"];

const count = (text: string, words: string[]) => words.filter((w) => text.includes(w)).length;

/** A value for one named field, from keywords in the prompt; undefined → derive from the schema. */
function derived(name: string, schema: JsonSchema, prompt: string): unknown {
  const lower = prompt.toLowerCase();
  const urgency = Math.min(100, 30 + 25 * count(lower, URGENT));
  const budget = Math.min(100, 40 + 20 * count(lower, BUDGET));
  const key = name.toLowerCase();
  if (key === "score") return Math.round(urgency * 0.5 + budget * 0.2 + 30);
  if (key === "urgency" && schema.enum) return urgency >= 80 ? "high" : urgency >= 55 ? "medium" : "low";
  if (key === "urgency") return urgency;
  if (key === "budget") return budget;
  if (key === "fit") return 70;
  if (key === "sentiment" && schema.enum) {
    const mood = count(lower, POSITIVE) - count(lower, NEGATIVE);
    return mood > 0 ? "positive" : mood < 0 ? "negative" : "neutral";
  }
  if (key === "summary") return `Summary: ${prompt.replace(/\s+/g, " ").slice(-160).trim()}`;
  if (key === "intent" || key === "customerintent")
    return count(lower, URGENT) > 0 ? "urgent repair" : "general enquiry";
  if (key === "slug") return `service-${createHash("sha1").update(`${name}${prompt}`).digest("hex").slice(0, 6)}`;
  if (schema.format === "email") return "hello@example.com";
  if (schema.format === "uri" || schema.format === "url") return "https://example.com";
  if (schema.minLength === 2 && schema.maxLength === 2) return "US";
  if (key === "businessname") return /business name:\s*(.+)/i.exec(prompt)?.[1]?.trim() ?? "Sample Business";
  return undefined;
}

function fromSchema(schema: JsonSchema | undefined, prompt: string, name = "value"): unknown {
  if (!schema) return {};
  if (schema.anyOf?.length) return fromSchema(schema.anyOf[0], prompt, name);
  const own = derived(name, schema, prompt);
  if (own !== undefined) return own;
  if (schema.enum?.length) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type?.toLowerCase()) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(schema.properties ?? {})) out[key] = fromSchema(inner, prompt, key);
      return out;
    }
    case "array":
      return [1, 2].map((n) => fromSchema(schema.items, prompt, `${name}${n}`));
    case "integer":
    case "number":
      return Math.min(schema.maximum ?? 100, Math.max(schema.minimum ?? 0, 50));
    case "boolean":
      return true;
    default:
      return `${name} for ${createHash("sha1").update(prompt).digest("hex").slice(0, 6)}`;
  }
}

const transcriptOf = (audio: string) =>
  `Customer: Hi, I have a leaking pipe under the kitchen sink and it's getting worse. ` +
  `Owner: I can be there this afternoon. Customer: Great, thanks, what will it cost? ` +
  `Owner: About two hundred dollars. [recording ${createHash("sha1").update(audio).digest("hex").slice(0, 8)}]`;

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startGeminiSimulator(options: GeminiSimulatorOptions): Promise<GeminiSimulator> {
  const log = options.log ?? (() => undefined);
  /** Scripted answers; `match` limits one to a request whose prompt contains it (tests run in parallel). */
  const queued: { malformed?: boolean; status?: number; match?: string }[] = [];
  const json = (res: http.ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(value));
  };
  const googleError = (res: http.ServerResponse, status: number, message: string, reason: string) =>
    json(res, status, { error: { code: status, message, status: reason } });

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const body = await readBody(req);
    if (url.pathname === "/_sim/next" && req.method === "POST") {
      queued.push(JSON.parse(body || "{}"));
      return json(res, 200, { queued: queued.length });
    }
    if (url.pathname === "/_sim/reset" && req.method === "POST") {
      queued.length = 0;
      return json(res, 200, { ok: true });
    }
    if (url.pathname.startsWith("/openai/v1/")) return openAiCompatible(req, res, url, body);
    const embedRoute = /^\/(v1beta|v1)\/models\/([^:/]+):batchEmbedContents$/.exec(url.pathname);
    if (embedRoute && req.method === "POST") {
      if ((req.headers["x-goog-api-key"] ?? url.searchParams.get("key")) !== options.apiKey) {
        return googleError(res, 400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT");
      }
      const { requests = [] } = JSON.parse(body) as { requests?: { content?: { parts?: Part[] } }[] };
      // Eight dimensions from a hash of the text: the same text, the same vector.
      const embeddings = requests.map((r) => {
        const digest = createHash("sha256")
          .update((r.content?.parts ?? []).map((p) => p.text ?? "").join(" "))
          .digest();
        return { values: Array.from(digest.subarray(0, 8), (byte) => byte / 255) };
      });
      return json(res, 200, { embeddings });
    }
    const route = /^\/(v1beta|v1)\/models\/([^:/]+):generateContent$/.exec(url.pathname);
    if (!route || req.method !== "POST") return googleError(res, 404, `${url.pathname} not found`, "NOT_FOUND");
    const key = req.headers["x-goog-api-key"] ?? url.searchParams.get("key");
    if (key !== options.apiKey) {
      return googleError(res, 400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT");
    }
    const request = JSON.parse(body) as {
      contents?: { role?: string; parts?: Part[] }[];
      systemInstruction?: { parts?: Part[] };
      generationConfig?: { responseMimeType?: string; responseJsonSchema?: JsonSchema; responseSchema?: JsonSchema };
    };
    const userParts = (request.contents ?? []).flatMap((c) => c.parts ?? []);
    const parts = [...(request.systemInstruction?.parts ?? []), ...userParts];
    const prompt = parts.map((p) => p.text ?? "").join("\n");
    // Answers are derived from what the user turn says, not from the instructions around it.
    const userText = userParts.map((p) => p.text ?? "").join("\n");
    const audio = parts.find((p) => p.inlineData?.mimeType.startsWith("audio/"));
    const index = queued.findIndex((q) => !q.match || prompt.includes(q.match));
    const next = index >= 0 ? queued.splice(index, 1)[0] : undefined;
    if (next?.status)
      return googleError(res, next.status, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED");
    const config = request.generationConfig ?? {};
    let text: string;
    if (audio?.inlineData) text = transcriptOf(audio.inlineData.data);
    else if (config.responseMimeType === "application/json") {
      text = JSON.stringify(fromSchema(config.responseJsonSchema ?? config.responseSchema, userText));
    } else text = `Answer: ${userText.replace(/\s+/g, " ").slice(0, 200)}`;
    if (next?.malformed) text = `{"this is": not json`;
    const promptTokens = Math.ceil(prompt.length / 4) + (audio ? 250 : 0);
    const outputTokens = Math.ceil(text.length / 4);
    log(`${route[2]} ← ${prompt.slice(0, 60).replace(/\s+/g, " ")}… → ${outputTokens} tokens`);
    json(res, 200, {
      candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }],
      usageMetadata: {
        promptTokenCount: promptTokens,
        candidatesTokenCount: outputTokens,
        totalTokenCount: promptTokens + outputTokens,
      },
      modelVersion: route[2],
    });
  });
  /**
   * The same answers in the OpenAI-compatible wire format, under /openai/v1:
   * chat completions (with json_schema response formats) and audio
   * transcriptions (multipart), Bearer-authenticated with the same key.
   */
  async function openAiCompatible(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: string) {
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return json(res, 401, {
        error: { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" },
      });
    }
    if (url.pathname === "/openai/v1/chat/completions") {
      const request = JSON.parse(body) as {
        model: string;
        messages: { role: string; content: string }[];
        response_format?: { type: string; json_schema?: { schema?: JsonSchema } };
      };
      const userText = request.messages
        .filter((m) => m.role === "user")
        .map((m) => m.content)
        .join("\n");
      const schema = request.response_format?.json_schema?.schema;
      const content = schema ? JSON.stringify(fromSchema(schema, userText)) : `Answer: ${userText.slice(0, 200)}`;
      const promptTokens = Math.ceil(request.messages.map((m) => m.content).join(" ").length / 4);
      log(`openai ${request.model} ← ${userText.slice(0, 60).replace(/\s+/g, " ")}…`);
      return json(res, 200, {
        id: `chatcmpl-${createHash("sha1").update(body).digest("hex").slice(0, 12)}`,
        object: "chat.completion",
        model: request.model,
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: Math.ceil(content.length / 4),
          total_tokens: promptTokens + Math.ceil(content.length / 4),
        },
      });
    }
    if (url.pathname === "/openai/v1/audio/transcriptions") {
      if (!String(req.headers["content-type"]).startsWith("multipart/form-data")) {
        return json(res, 400, { error: { message: "Expected multipart/form-data", type: "invalid_request_error" } });
      }
      return json(res, 200, { text: transcriptOf(body) });
    }
    return json(res, 404, { error: { message: `Unknown path ${url.pathname}`, type: "invalid_request_error" } });
  }

  await new Promise<void>((resolve) => server.listen(options.port, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
