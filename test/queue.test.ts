import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../workers/index";
import { request } from "./helpers";
import { jsonRequest, signUpTenant } from "./tenants";

describe("the AGENTS queue", () => {
  it("delivers a message to its agent, which does the work for the message's tenant", async () => {
    const tenant = await signUpTenant("queue-export");
    await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "keyword", name: "through the queue" }, tenant.auth),
    );
    await env.AGENTS.send({ task: "entity_export", tenantId: tenant.tenantId, params: { type: "keyword" } });
    const exported = await vi.waitFor(
      async () => {
        const listing = await env.ARCHIVE.list({ prefix: `exports/${tenant.tenantId}/` });
        const [object] = listing.objects;
        if (!object) throw new Error("not yet consumed");
        return (await env.ARCHIVE.get(object.key))?.text();
      },
      { timeout: 10_000, interval: 100 },
    );
    const lines = (exported ?? "").trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ type: "keyword", name: "through the queue" });
  });

  it("a redelivered message of a finished ticket is acknowledged without running again", async () => {
    const tenant = await signUpTenant("queue-redelivery");
    const stub = env.TENANT.getByName(tenant.tenantId);
    const ticket = await stub.createTicket(tenant.tenantId, "entity_export", {});
    const finished = await vi.waitFor(
      async () => {
        const current = await stub.getTicket(ticket.id);
        if (current?.status !== "completed") throw new Error(`still ${current?.status}`);
        return current;
      },
      { timeout: 10_000, interval: 100 },
    );
    // Queues deliver at least once: the same message may arrive after the run finished.
    const body = { task: "entity_export", tenantId: tenant.tenantId, ticketId: ticket.id, params: {} };
    const batch = createMessageBatch("apex-agents", [{ id: "again-1", timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["again-1"]);
    expect(await stub.getTicket(ticket.id)).toEqual(finished);
  });
});
