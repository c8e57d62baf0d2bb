import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { idempotency } from "../middleware/idempotency";
import { getLlmSettings, llmSettingsInput, putLlmSettings } from "../services/llm-settings";
import type { RoutePolicy } from "./policy";
import { actorOf, guardedErrors, idempotencyKeyHeader } from "./shared";

const read: RoutePolicy = { risk: "READ", role: "admin" };
const write: RoutePolicy = { risk: "WRITE-HIGH", role: "owner" };

const settingsView = z
  .object({
    provider: z.enum(["gemini", "openai", "rules"]),
    model: z.string().nullable(),
    baseUrl: z.string().nullable(),
    apiKey: z.string().nullable().openapi({ description: "Masked: the last four characters only" }),
    source: z.enum(["tenant", "platform"]),
  })
  .openapi("LlmSettings");

const getRoute = createRoute({
  method: "get",
  path: "/",
  tags: ["settings"],
  summary: "The tenant's LLM provider (keys masked)",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  responses: {
    200: { description: "Settings", content: { "application/json": { schema: settingsView } } },
    ...guardedErrors,
  },
});

const putRoute = createRoute({
  method: "put",
  path: "/",
  tags: ["settings"],
  summary: "Choose the LLM provider: gemini, an OpenAI-compatible endpoint, or the rule-based provider (no key)",
  "x-apex-policy": write,
  middleware: [guard(write), idempotency] as const,
  request: {
    headers: idempotencyKeyHeader,
    body: { required: true, content: { "application/json": { schema: llmSettingsInput } } },
  },
  responses: {
    200: { description: "Saved", content: { "application/json": { schema: settingsView } } },
    ...guardedErrors,
  },
});

export function llmSettingsRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(getRoute, async (c) =>
      c.json(await getLlmSettings({ env: c.env, db: c.var.db(), actor: actorOf(c) }), 200),
    )
    .openapi(putRoute, async (c) =>
      c.json(await putLlmSettings(c.req.valid("json"), { env: c.env, db: c.var.db(), actor: actorOf(c) }), 200),
    );
}
