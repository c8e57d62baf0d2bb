/**
 * Local Gemini. Speaks the REST wire format @google/genai uses —
 * `POST /{v1beta|v1}/models/{model}:generateContent` with the key in
 * `x-goog-api-key` (or `?key=`), `contents`/`systemInstruction`/
 * `generationConfig`, and answers with `candidates[].content.parts[].text`
 * and `usageMetadata` (token counts from the text's and audio's length) —
 * deterministically, from the request:
 *
 * - a lead score or a call analysis (recognised by the requested schema) is
 *   what Apex's own rules (workers/llm/rules-engine.ts) make of the lead, or
 *   of the transcript and the lead's message, in the prompt — one
 *   implementation, so what the local stack shows is a real reading of the
 *   input, never filler; a hunted job post is read from the page text in the
 *   prompt by workers/hunter/post-rules.ts;
 * - any other JSON answer (responseMimeType application/json) is built from
 *   the requested schema (`responseJsonSchema` or `responseSchema`), with a
 *   few fields (business name, slug, email …) taken from the prompt;
 * - audio parts are "transcribed" into a two-speaker service call whose
 *   length follows the recording's;
 * - the same answers in OpenAI's format under /openai/v1 (chat completions,
 *   audio transcriptions), for the OpenAI-compatible provider;
 * - `GET /{v1beta|v1}/models` (and `/openai/v1/models`) lists the models
 *   Apex asks for, paged with `pageSize`/`pageToken` as Gemini pages them:
 *   the call a health probe makes;
 * - `POST /_sim/next {"malformed":true,"match":"…"}` makes the next answer
 *   (to a prompt containing `match`) invalid JSON, `{"status":429}` an error —
 *   for repair and retry tests;
 * - a lane, `/_sim/lanes/{name}` put before any path (a base URL such as
 *   `http://127.0.0.1:8793/_sim/lanes/probe-1`), answers as the root does and
 *   counts what it was asked (`GET /_sim/lanes/{name}`); `PUT /_sim/lanes/{name}
 *   {"delayMs":3000}` makes it answer late. Tests run in parallel against one
 *   simulator, so each test that counts or stalls gets a lane of its own.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { postFromText } from "../../workers/hunter/post-rules.ts";
import { analyzeCallByRules, scoreLeadByRules } from "../../workers/llm/rules-engine.ts";
import { type WriterInput, writePageByRules } from "../../workers/seo/writer-rules.ts";
import { draftByRules, type SiteBlock } from "../../workers/services/onboarding-rules.ts";

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

/** A value for one named field that the prompt can tell; undefined → derive from the schema. */
function derived(name: string, schema: JsonSchema, prompt: string): unknown {
  const key = name.toLowerCase();
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

const hasFields = (schema: JsonSchema | undefined, names: string[]) =>
  names.every((name) => Object.hasOwn(schema?.properties ?? {}, name));

/** The gateway's repair turn (workers/llm/gateway.ts) appends this to the original prompt. */
const REPAIR_SUFFIX = /\n\nYour previous answer was rejected:[\s\S]*$/;

/** The lead behind a `lead_scorer` prompt ("Lead:\n{json}"); a prompt in another shape is read as the message. */
function leadIn(prompt: string): Record<string, unknown> {
  const line = /^Lead:\s*\n(.+)$/m.exec(prompt)?.[1] ?? "";
  try {
    const facts: unknown = JSON.parse(line);
    if (facts && typeof facts === "object" && !Array.isArray(facts)) return facts as Record<string, unknown>;
    return { message: prompt };
  } catch {
    return { message: prompt };
  }
}

/**
 * The call behind an `analyze_call` prompt: the transcript after "Transcript:",
 * and the lead's message on the line before it, when the prompt has one.
 */
function callIn(prompt: string): { transcript: string; message: string } {
  const text = prompt.replace(REPAIR_SUFFIX, "");
  const transcript = /(?:^|\n)Transcript:[ \t]*\n?([\s\S]*)$/.exec(text)?.[1] ?? text;
  const quoted = /^The lead's message before the call: (.+)$/m.exec(text)?.[1];
  try {
    const message: unknown = quoted ? JSON.parse(quoted) : "";
    return { transcript, message: typeof message === "string" ? message : "" };
  } catch {
    return { transcript, message: "" };
  }
}

/**
 * The JSON answer to a prompt: Apex's lead score and call analysis come from
 * the rules over the prompt's input; any other schema is filled from itself.
 */
function answerFor(schema: JsonSchema | undefined, prompt: string): unknown {
  if (hasFields(schema, ["score", "urgency", "budget", "fit", "reasons"])) return scoreLeadByRules(leadIn(prompt));
  if (hasFields(schema, ["summary", "keyPoints", "customerIntent", "nextSteps", "sentiment", "urgency"])) {
    return analyzeCallByRules(callIn(prompt));
  }
  if (hasFields(schema, ["identity", "services", "geoScope"])) return draftDna(prompt);
  if (hasFields(schema, ["title", "description", "urgency", "contact", "canonicalUrl"])) return readPost(prompt);
  if (hasFields(schema, ["slug", "title", "metaDescription", "html", "jsonLd"])) return writePage(prompt);
  return fromSchema(schema, prompt);
}

/**
 * The pSEO writer's prompt (workers/seo/pipeline.ts: "Input:" and the JSON of
 * the DNA, the cluster and its landmarks) → the page Apex's own rule-based
 * writer makes of exactly that input: a simulated model that knows nothing
 * the DNA does not hold.
 */
function writePage(prompt: string) {
  const json = /^Input:\s*\n(.+)$/m.exec(prompt.replace(REPAIR_SUFFIX, ""))?.[1] ?? "{}";
  return writePageByRules(JSON.parse(json) as WriterInput);
}

/**
 * The hunter's extraction prompt (workers/hunter/extract.ts) → the post as
 * the page text shows it, read by the same text rules a model stands in for:
 * the places the business serves, the page's URL, then the page between
 * `<<<` and `>>>`.
 */
function readPost(prompt: string) {
  const text = prompt.replace(REPAIR_SUFFIX, "");
  const places = (/^Places the business serves: (.*)$/m.exec(text)?.[1] ?? "")
    .split(",")
    .map((place) => place.trim())
    .filter((place) => place && place !== "(any)");
  const url = /^Page URL: (.*)$/m.exec(text)?.[1]?.trim() ?? "";
  const page = /<<<\n([\s\S]*)\n>>>/.exec(text)?.[1] ?? "";
  return postFromText(page, url, places);
}

/**
 * Onboarding's prompt (workers/services/onboarding.ts) → a DNA draft of only
 * what the website text says, read by the same rules Apex drafts with when no
 * model is configured: a simulated model that knows nothing the page did not
 * say. Headings come marked "# ", list items "- ".
 */
function draftDna(prompt: string) {
  const businessName = /^Business name:\s*(.+)$/m.exec(prompt)?.[1]?.trim() ?? "";
  const site = /\nWebsite text:\n([\s\S]*)$/.exec(prompt.replace(REPAIR_SUFFIX, ""))?.[1] ?? "";
  const blocks: SiteBlock[] =
    site.trim() === "(none)"
      ? []
      : site
          .split("\n")
          .filter((line) => line.trim())
          .map((line) =>
            line.startsWith("# ")
              ? { tag: "h2", text: line.slice(2) }
              : line.startsWith("- ")
                ? { tag: "li", text: line.slice(2) }
                : { tag: "p", text: line },
          );
  // No websiteUrl: the prompt does not carry it, and the draft names nothing it was not told.
  return draftByRules({ businessName, websiteUrl: undefined, blocks }).layer;
}

/** Seconds of audio: from a WAV header when there is one, else as 8 kHz 16-bit mono (a phone line). */
export function audioSeconds(bytes: Buffer): number {
  const riff = bytes.indexOf("RIFF");
  if (riff >= 0 && bytes.toString("ascii", riff + 8, riff + 12) === "WAVE") {
    let byteRate = 0;
    for (let at = riff + 12; at + 8 <= bytes.length; ) {
      const id = bytes.toString("ascii", at, at + 4);
      const size = bytes.readUInt32LE(at + 4);
      if (id === "fmt " && at + 20 <= bytes.length) byteRate = bytes.readUInt32LE(at + 16);
      if (id === "data" && byteRate > 0) return size / byteRate;
      at += 8 + size + (size % 2);
    }
  }
  return bytes.length / 16_000;
}

/**
 * The words a recording holds. The Twilio simulator has no voices: it writes
 * what its scripted people said into the WAV's LIST/INFO comment (ICMT). A
 * recording without one is silence, and silence transcribes to no words.
 */
export function transcriptOf(bytes: Buffer): string {
  const riff = bytes.indexOf("RIFF");
  if (riff < 0 || bytes.toString("ascii", riff + 8, riff + 12) !== "WAVE") return "";
  for (let at = riff + 12; at + 8 <= bytes.length; ) {
    const id = bytes.toString("ascii", at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    if (id === "LIST" && bytes.toString("ascii", at + 8, at + 12) === "INFO") {
      for (let sub = at + 12; sub + 8 <= Math.min(at + 8 + size, bytes.length); ) {
        const subId = bytes.toString("ascii", sub, sub + 4);
        const subSize = bytes.readUInt32LE(sub + 4);
        if (subId === "ICMT")
          return bytes
            .toString("utf8", sub + 8, sub + 8 + subSize)
            .replace(/\0+$/, "")
            .trim();
        sub += 8 + subSize + (subSize % 2);
      }
    }
    at += 8 + size + (size % 2);
  }
  return "";
}

/** The models the simulator lists: the ones workers/llm/models.ts asks for, in Gemini's Model resource shape. */
const MODELS = [
  { id: "gemini-2.5-flash", displayName: "Gemini 2.5 Flash", methods: ["generateContent", "countTokens"] },
  { id: "gemini-2.5-flash-lite", displayName: "Gemini 2.5 Flash-Lite", methods: ["generateContent", "countTokens"] },
  { id: "gemini-2.5-pro", displayName: "Gemini 2.5 Pro", methods: ["generateContent", "countTokens"] },
  { id: "gemini-embedding-001", displayName: "Gemini Embedding 001", methods: ["embedContent", "countTokens"] },
].map((m) => ({
  name: `models/${m.id}`,
  baseModelId: m.id,
  version: "001",
  displayName: m.displayName,
  description: `${m.displayName}, simulated locally`,
  inputTokenLimit: m.id.includes("embedding") ? 2_048 : 1_048_576,
  outputTokenLimit: m.id.includes("embedding") ? 1 : 65_536,
  supportedGenerationMethods: m.methods,
}));

/** One page of the model list: `pageSize` (default 50, at most 1000) from the offset in `pageToken`. */
function modelPage(url: URL): { models: typeof MODELS; nextPageToken?: string } {
  const size = Math.min(1_000, Math.max(1, Number(url.searchParams.get("pageSize")) || 50));
  const from = Number(url.searchParams.get("pageToken")) || 0;
  const models = MODELS.slice(from, from + size);
  return from + size < MODELS.length ? { models, nextPageToken: String(from + size) } : { models };
}

interface Lane {
  requests: string[];
  delayMs: number;
}

/** Gemini bills audio at 32 tokens a second. */
const audioTokens = (seconds: number) => Math.ceil(seconds * 32);

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
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

  const lanes = new Map<string, Lane>();
  const laneNamed = (name: string) => {
    const lane = lanes.get(name) ?? { requests: [], delayMs: 0 };
    lanes.set(name, lane);
    return lane;
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const raw = await readBody(req);
    const body = raw.toString("utf8");
    const inLane = /^\/_sim\/lanes\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (inLane) {
      const lane = laneNamed(decodeURIComponent(inLane[1] as string));
      const path = inLane[2];
      if (!path && req.method === "PUT") {
        lane.delayMs = Number((JSON.parse(body || "{}") as { delayMs?: number }).delayMs ?? 0);
        return json(res, 200, lane);
      }
      if (!path) return json(res, 200, lane);
      lane.requests.push(`${req.method} ${path}`);
      if (lane.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, lane.delayMs));
      url.pathname = path;
    }
    if (url.pathname === "/_sim/next" && req.method === "POST") {
      queued.push(JSON.parse(body || "{}"));
      return json(res, 200, { queued: queued.length });
    }
    if (url.pathname === "/_sim/reset" && req.method === "POST") {
      queued.length = 0;
      return json(res, 200, { ok: true });
    }
    if (url.pathname.startsWith("/openai/v1/")) return openAiCompatible(req, res, url, body, raw);
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
    if (/^\/(v1beta|v1)\/models$/.test(url.pathname) && req.method === "GET") {
      if ((req.headers["x-goog-api-key"] ?? url.searchParams.get("key")) !== options.apiKey) {
        return googleError(res, 400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT");
      }
      return json(res, 200, modelPage(url));
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
    const sound = audio?.inlineData ? Buffer.from(audio.inlineData.data, "base64") : undefined;
    const seconds = sound ? audioSeconds(sound) : 0;
    if (sound) text = transcriptOf(sound);
    else if (config.responseMimeType === "application/json") {
      text = JSON.stringify(answerFor(config.responseJsonSchema ?? config.responseSchema, userText));
    } else text = `Answer: ${userText.replace(/\s+/g, " ").slice(0, 200)}`;
    if (next?.malformed) text = `{"this is": not json`;
    const promptTokens = Math.ceil(prompt.length / 4) + audioTokens(seconds);
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
  async function openAiCompatible(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    body: string,
    raw: Buffer,
  ) {
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return json(res, 401, {
        error: { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" },
      });
    }
    if (url.pathname === "/openai/v1/models" && req.method === "GET") {
      const created = Math.floor(Date.UTC(2025, 5, 17) / 1000);
      return json(res, 200, {
        object: "list",
        data: MODELS.map((m) => ({ id: m.baseModelId, object: "model", created, owned_by: "apex-simulator" })),
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
      const content = schema ? JSON.stringify(answerFor(schema, userText)) : `Answer: ${userText.slice(0, 200)}`;
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
      return json(res, 200, { text: transcriptOf(raw) });
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
