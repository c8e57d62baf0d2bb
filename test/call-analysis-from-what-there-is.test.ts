import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { objectKeys } from "../workers/storage/object-keys";
import { request } from "./helpers";
import { recordingSid, seedSystemEntity } from "./system-entities";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";

/**
 * #13 item 13: with no key and no simulator — or a recording nobody could
 * transcribe — a call is still analysed from what there is (the lead's
 * message, the rule-based provider), and never from filler.
 */

interface Entity {
  id: string;
  system: Record<string, unknown>;
}

interface Ticket {
  status: string;
  error: string | null;
}

const entity = async (owner: TestTenant, id: string) =>
  (await request(`/api/v1/entities/${id}`, { headers: owner.auth })).json<Entity>();

async function runTask(owner: TestTenant, task: string, params: Record<string, unknown>): Promise<Ticket> {
  const started = await request(`/api/v1/tasks/${task}`, jsonRequest("POST", { params }, owner.auth));
  if (started.status !== 202) throw new Error(`${task} answered ${started.status}: ${await started.text()}`);
  const { id } = await started.json<{ id: string }>();
  return vi.waitFor(
    async () => {
      const ticket = await (await request(`/api/v1/tickets/${id}`, { headers: owner.auth })).json<Ticket>();
      if (ticket.status === "queued" || ticket.status === "processing") throw new Error(`still ${ticket.status}`);
      return ticket;
    },
    { timeout: 15_000, interval: 100 },
  );
}

/** A tenant whose only provider is the rules: what a stack with no key and no simulator gives everyone. */
async function tenantWithoutModel(label: string) {
  const owner = await signUpTenant(label);
  await request("/api/v1/settings/llm", jsonRequest("PUT", { provider: "rules" }, owner.auth));
  return owner;
}

async function leadWithCall(owner: TestTenant, message: string | undefined, call: Record<string, unknown>) {
  const lead = await (
    await request(
      "/api/v1/entities",
      jsonRequest(
        "POST",
        { projectId: owner.projectId, type: "lead", name: "Dana", data: message ? { message } : {} },
        owner.auth,
      ),
    )
  ).json<Entity>();
  const seeded = await seedSystemEntity(owner, { type: "call", name: "Call", system: { leadId: lead.id, ...call } });
  return { leadId: lead.id, callId: seeded.id };
}

const usedResources = async (owner: TestTenant) =>
  (
    await (
      await request(`/api/v1/projects/${owner.projectId}/usage`, { headers: owner.auth })
    ).json<{
      resources: { resource: string }[];
    }>()
  ).resources.map((r) => r.resource);

const MESSAGE = "Burst pipe flooding the basement, we need someone today. What will it cost?";

describe("a call's analysis, from what there is", () => {
  it("with no model at all, a recording nothing can transcribe is analysed from the lead's message by the rules", async () => {
    const owner = await tenantWithoutModel("no-model-call");
    const sid = recordingSid();
    const { leadId, callId } = await leadWithCall(owner, MESSAGE, { recording: { sid, stored: true } });
    await env.ARCHIVE.put(objectKeys.recording(owner.tenantId, callId, sid), new Uint8Array(64), {
      httpMetadata: { contentType: "audio/wav" },
    });

    const transcription = await runTask(owner, "transcribe_call", { callId });
    expect(transcription.status).toBe("failed");
    expect(transcription.error).toContain("no transcription provider is configured");

    const analysis = await vi.waitFor(
      async () => {
        const found = (await entity(owner, callId)).system.analysis;
        if (!found) throw new Error("not analysed yet");
        return found as Record<string, unknown>;
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(analysis).toMatchObject({
      provider: "rules",
      basis: "lead-message",
      summary: MESSAGE,
      customerIntent: "urgent repair",
      urgency: "high",
    });
    // The lead is marked after the call, in a write of its own: wait for it rather than race it.
    const lead = await vi.waitFor(
      async () => {
        const found = await entity(owner, leadId);
        if (!found.system.analysis) throw new Error("lead not marked yet");
        return found;
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(lead.system.analysis).toMatchObject({ callId, basis: "lead-message" });
    expect(String(lead.system.transcription)).toMatch(/^unavailable: /);
    expect(await usedResources(owner)).toEqual([]);
  });

  it("a recording that held no words is analysed from the lead's message, for free, even with a model configured", async () => {
    const owner = await signUpTenant("wordless-call");
    const { callId } = await leadWithCall(owner, MESSAGE, { transcript: { text: "  ", provider: "gemini" } });
    expect((await runTask(owner, "analyze_call", { callId })).status).toBe("completed");
    expect((await entity(owner, callId)).system.analysis).toMatchObject({
      provider: "rules",
      basis: "lead-message",
      summary: MESSAGE,
    });
    expect(await usedResources(owner)).toEqual([]);
  });

  it("a call with neither words nor a lead's message gets no analysis, rather than one made of nothing", async () => {
    const owner = await tenantWithoutModel("nothing-to-read");
    const { callId } = await leadWithCall(owner, undefined, { transcript: { text: "" } });
    const ticket = await runTask(owner, "analyze_call", { callId });
    expect(ticket.status).toBe("failed");
    expect(ticket.error).toContain("nothing to analyze");
    expect((await entity(owner, callId)).system.analysis).toBeUndefined();
  });

  it("the rules read the lead's message beside the transcript", async () => {
    const owner = await tenantWithoutModel("message-and-transcript");
    const transcript = "Customer: Hi, it's Dana. Owner: Hello Dana, how can I help?";
    const { callId } = await leadWithCall(owner, MESSAGE, { transcript: { text: transcript } });
    expect((await runTask(owner, "analyze_call", { callId })).status).toBe("completed");
    expect((await entity(owner, callId)).system.analysis).toMatchObject({
      provider: "rules",
      basis: "transcript",
      summary: "Hi, it's Dana.",
      urgency: "high",
    });
  });

  it("the model is given the lead's message beside the transcript", async () => {
    const owner = await signUpTenant("model-reads-message");
    const transcript = "Customer: Hi, it's Dana. Owner: Hello Dana, how can I help?";
    const { callId } = await leadWithCall(owner, MESSAGE, { transcript: { text: transcript } });
    expect((await runTask(owner, "analyze_call", { callId })).status).toBe("completed");
    // The Gemini simulator answers with the rules over what the prompt carries: urgency can only come from the message.
    expect((await entity(owner, callId)).system.analysis).toMatchObject({
      provider: "gemini",
      basis: "transcript",
      urgency: "high",
    });
  });
});
