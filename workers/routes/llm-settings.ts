import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { getLlmSettings, llmSettingsInput, putLlmSettings } from "../services/llm-settings";
import { defineRoute, idempotencyKeyHeader } from "./shared";

const read = { risk: "READ", role: "admin" } satisfies RoutePolicy;
const write = { risk: "WRITE-HIGH", role: "owner" } satisfies RoutePolicy;

const settingsView = z
  .object({
    provider: z.enum(["gemini", "openai", "rules"]),
    model: z.string().nullable(),
    baseUrl: z.string().nullable(),
    apiKey: z.string().nullable().openapi({ description: "Masked: the last four characters only" }),
    source: z.enum(["tenant", "platform"]),
  })
  .openapi("LlmSettings");

const getRoute = defineRoute(read, {
  method: "get",
  path: "/",
  tags: ["settings"],
  summary: "The tenant's LLM provider (keys masked)",
  responses: {
    200: { description: "Settings", content: { "application/json": { schema: settingsView } } },
  },
});

const putRoute = defineRoute(write, {
  method: "put",
  path: "/",
  tags: ["settings"],
  summary: "Choose the LLM provider: gemini, an OpenAI-compatible endpoint, or the rule-based provider (no key)",
  request: {
    headers: idempotencyKeyHeader,
    body: { required: true, content: { "application/json": { schema: llmSettingsInput } } },
  },
  responses: {
    200: { description: "Saved", content: { "application/json": { schema: settingsView } } },
  },
});

export function llmSettingsRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(getRoute, async (c) => c.json(await getLlmSettings(c.get("services")), 200))
    .openapi(putRoute, async (c) => c.json(await putLlmSettings(c.req.valid("json"), c.get("services")), 200));
}
