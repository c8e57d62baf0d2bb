import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../schema/db";
import { systemActor } from "../workers/context";
import { embed } from "../workers/llm/gateway";
import { objectKeys } from "../workers/storage/object-keys";
import { request } from "./helpers";
import { recordingSid, seedSystemEntity } from "./system-entities";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";
import { scriptPhone, simCalls, testPhone } from "./twilio";

interface Entity {
  id: string;
  status: string | null;
  data: Record<string, unknown>;
  system: Record<string, unknown>;
}

interface Ticket {
  id: string;
  status: string;
  error: string | null;
  result: Record<string, unknown> | null;
}

const createEntity = async (owner: TestTenant, body: Record<string, unknown>) =>
  (
    await request("/api/v1/entities", jsonRequest("POST", { projectId: owner.projectId, ...body }, owner.auth))
  ).json<Entity>();

const entity = async (owner: TestTenant, id: string) =>
  (await request(`/api/v1/entities/${id}`, { headers: owner.auth })).json<Entity>();

async function runTask(owner: TestTenant, task: string, params: Record<string, unknown>): Promise<Ticket> {
  const started = await request(`/api/v1/tasks/${task}`, jsonRequest("POST", { params }, owner.auth));
  if (started.status !== 202) throw new Error(`${task} answered ${started.status}: ${await started.text()}`);
  const { id } = await started.json<Ticket>();
  return vi.waitFor(
    async () => {
      const ticket = await (await request(`/api/v1/tickets/${id}`, { headers: owner.auth })).json<Ticket>();
      if (ticket.status === "queued" || ticket.status === "processing") throw new Error(`still ${ticket.status}`);
      return ticket;
    },
    { timeout: 15_000, interval: 100 },
  );
}

const scriptGemini = (answer: { malformed?: boolean; status?: number; match: string }) =>
  fetch(`${env.GEMINI_SIMULATOR_URL}/_sim/next`, { method: "POST", body: JSON.stringify(answer) });

async function withVoice(owner: TestTenant) {
  const ownerPhone = testPhone();
  const path = `/api/v1/projects/${owner.projectId}/voice-settings`;
  const etag = (await request(path, { headers: owner.auth })).headers.get("etag") ?? "";
  await request(
    path,
    jsonRequest(
      "PUT",
      { ownerPhone, trackingNumber: testPhone(), scoreThreshold: 70 },
      { ...owner.auth, "if-match": etag },
    ),
  );
  await scriptPhone(ownerPhone, { answer: "no-answer" });
  return ownerPhone;
}

const usage = async (owner: TestTenant) =>
  (await request(`/api/v1/projects/${owner.projectId}/usage`, { headers: owner.auth })).json<{
    spentUsd: number;
    resources: { resource: string; quantity: number; uses: number }[];
  }>();

describe("lead scoring", () => {
  it("a lead gets a 0–100 score with reasons, the model and the prompt version; its tokens are billed", async () => {
    const owner = await signUpTenant("score");
    const lead = await createEntity(owner, {
      type: "lead",
      name: "Casual Carl",
      status: "contacted",
      data: { message: "maybe a quote sometime" },
    });
    const ticket = await runTask(owner, "lead_scorer", { leadId: lead.id });
    expect(ticket.status).toBe("completed");
    const scored = await entity(owner, lead.id);
    const score = scored.system.score as {
      value: number;
      reasons: string[];
      model: string;
      provider: string;
      promptVersion: string;
    };
    expect(score.value).toBeGreaterThanOrEqual(0);
    expect(score.value).toBeLessThanOrEqual(100);
    expect(score.reasons.length).toBeGreaterThan(0);
    expect(score).toMatchObject({ model: "gemini-2.5-flash-lite", provider: "gemini", promptVersion: "lead-scorer/1" });
    const billed = (await usage(owner)).resources.map((r) => r.resource);
    expect(billed).toEqual(expect.arrayContaining(["llm_input_token", "llm_output_token"]));
  });

  it("a score above the threshold bridges the lead exactly once, however often it is scored", async () => {
    const owner = await signUpTenant("score-bridge");
    const ownerPhone = await withVoice(owner);
    // As intake stores it: Apex saw the inquiry arrive, so the automatic bridge may answer it.
    const lead = await seedSystemEntity(owner, {
      type: "lead",
      name: "Flooded Fiona",
      status: "new",
      data: { phone: testPhone(), message: "URGENT burst pipe, flooding the kitchen now, leaking everywhere" },
      system: { receivedAt: new Date().toISOString(), intakes: 1 },
    });
    const first = await runTask(owner, "lead_scorer", { leadId: lead.id });
    expect(first.result).toMatchObject({ bridge: { outcome: "dialing" } });
    expect((first.result as { score: number }).score).toBeGreaterThanOrEqual(70);
    const second = await runTask(owner, "lead_scorer", { leadId: lead.id });
    expect(second.result).toMatchObject({ bridge: null });
    expect((await simCalls()).filter((c) => c.to === ownerPhone)).toHaveLength(1);
  });

  it("a score below the threshold calls nobody", async () => {
    const owner = await signUpTenant("score-low");
    const ownerPhone = await withVoice(owner);
    const lead = await createEntity(owner, {
      type: "lead",
      name: "Idle Ida",
      status: "new",
      data: { phone: testPhone(), message: "just browsing" },
    });
    const ticket = await runTask(owner, "lead_scorer", { leadId: lead.id });
    expect((ticket.result as { score: number }).score).toBeLessThan(70);
    expect(ticket.result).toMatchObject({ bridge: null });
    expect((await simCalls()).filter((c) => c.to === ownerPhone)).toHaveLength(0);
  });
});

describe("structured output", () => {
  it("a malformed answer is repaired once", async () => {
    const owner = await signUpTenant("repair");
    const name = `Repair ${crypto.randomUUID()}`;
    const lead = await createEntity(owner, { type: "lead", name, status: "contacted", data: {} });
    await scriptGemini({ malformed: true, match: name });
    const ticket = await runTask(owner, "lead_scorer", { leadId: lead.id });
    expect(ticket.status).toBe("completed");
    expect((await entity(owner, lead.id)).system.score).toBeDefined();
    // Both answers were billed: the malformed one and the repair.
    expect((await usage(owner)).resources.find((r) => r.resource === "llm_output_token")?.uses).toBe(2);
  });

  it("a second malformed answer fails the ticket with the validation error", async () => {
    const owner = await signUpTenant("repair-fail");
    const name = `Broken ${crypto.randomUUID()}`;
    const lead = await createEntity(owner, { type: "lead", name, status: "contacted", data: {} });
    await scriptGemini({ malformed: true, match: name });
    await scriptGemini({ malformed: true, match: name });
    const ticket = await runTask(owner, "lead_scorer", { leadId: lead.id });
    expect(ticket.status).toBe("failed");
    expect(ticket.error).toContain("does not match the schema");
    expect(ticket.error).toContain("is not JSON");
    expect((await entity(owner, lead.id)).system.score).toBeUndefined();
  });

  it("a rate-limited answer is retried with backoff", async () => {
    const owner = await signUpTenant("retry-429");
    const name = `Busy ${crypto.randomUUID()}`;
    const lead = await createEntity(owner, { type: "lead", name, status: "contacted", data: {} });
    await scriptGemini({ status: 429, match: name });
    const ticket = await runTask(owner, "lead_scorer", { leadId: lead.id });
    expect(ticket.status).toBe("completed");
  });

  it("at the cap scoring spends nothing: the free rules score the lead and the lead notes the paid model was shed", async () => {
    const owner = await signUpTenant("llm-paused");
    await request(
      `/api/v1/projects/${owner.projectId}/spend-cap`,
      jsonRequest("PUT", { monthlyCapUsd: 0.01 }, owner.auth),
    );
    await request(
      "/api/v1/tasks/log_usage",
      jsonRequest(
        "POST",
        { params: { projectId: owner.projectId, resource: "voice_minute", quantity: 1 } },
        owner.auth,
      ),
    );
    const before = await usage(owner);
    const lead = await createEntity(owner, {
      type: "lead",
      name: "Paused Pat",
      status: "contacted",
      data: { message: "Burst pipe, water everywhere, need someone today" },
    });
    const ticket = await runTask(owner, "lead_scorer", { leadId: lead.id });
    expect(ticket.status).toBe("completed");
    const scored = await entity(owner, lead.id);
    expect(scored.system.score).toMatchObject({ provider: "rules", model: "rules-v1" });
    expect(scored.system.shed).toEqual([
      expect.objectContaining({ action: "scoring by the paid model", reason: "spend-cap" }),
    ]);
    expect(await usage(owner)).toEqual(before);
  });
});

describe("with no LLM configured", () => {
  async function rulesTenant(label: string) {
    const owner = await signUpTenant(label);
    const saved = await request("/api/v1/settings/llm", jsonRequest("PUT", { provider: "rules" }, owner.auth));
    expect(await saved.json()).toMatchObject({ provider: "rules", source: "tenant" });
    return owner;
  }

  it("the rule-based provider scores a lead with reasons", async () => {
    const owner = await rulesTenant("rules-score");
    const lead = await createEntity(owner, {
      type: "lead",
      name: "Rule Ruth",
      status: "contacted",
      data: { phone: "+15550001111", message: "Emergency! Leak under the sink, need a quote today" },
    });
    await runTask(owner, "lead_scorer", { leadId: lead.id });
    const score = (await entity(owner, lead.id)).system.score as { value: number; reasons: string[]; provider: string };
    expect(score.provider).toBe("rules");
    expect(score.reasons.join(" ")).toContain("urgent words");
    expect(score.value).toBeGreaterThan(50);
    expect((await usage(owner)).resources).toEqual([]);
  });

  it("the rule-based provider analyzes a call's text", async () => {
    const owner = await rulesTenant("rules-analyze");
    const call = await seedSystemEntity(owner, {
      type: "call",
      name: "Call",
      system: { transcript: { text: "Customer: It's an emergency, the pipe burst. Owner: On my way, thanks." } },
    });
    const ticket = await runTask(owner, "analyze_call", { callId: call.id });
    expect(ticket.status).toBe("completed");
    expect((await entity(owner, call.id)).system.analysis).toMatchObject({
      provider: "rules",
      urgency: "high",
      customerIntent: "urgent repair",
    });
  });

  it("transcription fails clearly: no provider is configured", async () => {
    const owner = await rulesTenant("rules-transcribe");
    const sid = recordingSid();
    const call = await seedSystemEntity(owner, {
      type: "call",
      name: "Call",
      system: { recording: { sid, stored: true } },
    });
    const key = objectKeys.recording(owner.tenantId, call.id, sid);
    await env.ARCHIVE.put(key, new Uint8Array(64), { httpMetadata: { contentType: "audio/wav" } });
    const ticket = await runTask(owner, "transcribe_call", { callId: call.id });
    expect(ticket.status).toBe("failed");
    expect(ticket.error).toContain("no transcription provider is configured");
  });
});

describe("embeddings", () => {
  it("the gateway embeds texts through Gemini: one vector per text, the same text the same vector, tokens billed", async () => {
    const owner = await signUpTenant("embed");
    const handle = openDatabase(env);
    try {
      const context = {
        env,
        db: handle.db,
        actor: systemActor(owner.tenantId, "test"),
        projectId: owner.projectId,
        runKey: crypto.randomUUID(),
      };
      const result = await embed(["blocked drain", "burst pipe", "blocked drain"], context);
      expect(result).toMatchObject({ provider: "gemini", model: "gemini-embedding-001" });
      expect(result.value).toHaveLength(3);
      expect(result.value[0]).toEqual(result.value[2]);
      expect(result.value[0]).not.toEqual(result.value[1]);
    } finally {
      await handle.close();
    }
    expect((await usage(owner)).resources.map((r) => r.resource)).toContain("llm_input_token");
  });
});

describe("an OpenAI-compatible provider", () => {
  it("scores leads and transcribes calls through /chat/completions and /audio/transcriptions", async () => {
    const owner = await signUpTenant("openai");
    const saved = await request(
      "/api/v1/settings/llm",
      jsonRequest(
        "PUT",
        { provider: "openai", baseUrl: `${env.GEMINI_SIMULATOR_URL}/openai/v1`, apiKey: "sim-gemini-key" },
        owner.auth,
      ),
    );
    expect(saved.status).toBe(200);
    const lead = await createEntity(owner, {
      type: "lead",
      name: "Open Olive",
      status: "contacted",
      data: { message: "leak" },
    });
    await runTask(owner, "lead_scorer", { leadId: lead.id });
    expect((await entity(owner, lead.id)).system.score).toMatchObject({ provider: "openai", model: "gpt-4o-mini" });
    const sid = recordingSid();
    const call = await seedSystemEntity(owner, {
      type: "call",
      name: "Call",
      system: { recording: { sid, stored: true, durationSeconds: 75 } },
    });
    const key = objectKeys.recording(owner.tenantId, call.id, sid);
    await env.ARCHIVE.put(key, new Uint8Array(64), { httpMetadata: { contentType: "audio/wav" } });
    const ticket = await runTask(owner, "transcribe_call", { callId: call.id });
    expect(ticket.status).toBe("completed");
    expect((await entity(owner, call.id)).system.transcript).toMatchObject({ provider: "openai", model: "whisper-1" });
    // Priced by the minute, from the recording's duration (75 s → 2 minutes).
    expect((await usage(owner)).resources.find((r) => r.resource === "transcription_minute")).toMatchObject({
      quantity: 2,
      uses: 1,
    });
  });
});

describe("provider keys", () => {
  afterEach(() => vi.restoreAllMocks());

  it("never appear in logs, API responses or the audit log", async () => {
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
    const owner = await signUpTenant("llm-keys");
    const secretKey = "sim-gemini-key";
    const saved = await request(
      "/api/v1/settings/llm",
      jsonRequest("PUT", { provider: "gemini", apiKey: secretKey }, owner.auth),
    );
    const savedText = await saved.text();
    expect(saved.status).toBe(200);
    expect(JSON.parse(savedText)).toMatchObject({ provider: "gemini", apiKey: "…-key" });
    const read = await (await request("/api/v1/settings/llm", { headers: owner.auth })).text();
    const lead = await createEntity(owner, { type: "lead", name: "Key Keeper", status: "contacted", data: {} });
    const ticket = await runTask(owner, "lead_scorer", { leadId: lead.id });
    expect(ticket.status).toBe("completed");
    const audit = await (await request("/api/v1/audit?limit=200", { headers: owner.auth })).text();
    expect(audit).toContain("settings.llm.set");
    for (const text of [savedText, read, audit, JSON.stringify(ticket), ...lines])
      expect(text).not.toContain(secretKey);
    expect(lines.length).toBeGreaterThan(0);
  });

  it("an OpenAI-compatible provider needs a base URL and a key (422 naming the field)", async () => {
    const owner = await signUpTenant("llm-openai");
    const noUrl = await request(
      "/api/v1/settings/llm",
      jsonRequest("PUT", { provider: "openai", apiKey: "sk-0123456789" }, owner.auth),
    );
    expect(noUrl.status).toBe(422);
    expect((await noUrl.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("baseUrl");
    const noKey = await request("/api/v1/settings/llm", jsonRequest("PUT", { provider: "gemini" }, owner.auth));
    expect((await noKey.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("apiKey");
  });
});
