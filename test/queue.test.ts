import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";

describe("the AGENTS queue", () => {
  it("delivers a message to its agent, which records the run on the tenant's object", async () => {
    const tenantId = crypto.randomUUID();
    await env.AGENTS.send({ task: "tenant_heartbeat", tenantId, params: {} });
    const runs = await vi.waitFor(
      async () => {
        const found = await env.TENANT.getByName(tenantId).agentRuns();
        if (found.length === 0) throw new Error("not yet consumed");
        return found;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]?.task).toBe("tenant_heartbeat");
  });

  it("a redelivered message is recorded once", async () => {
    const tenantId = crypto.randomUUID();
    const stub = env.TENANT.getByName(tenantId);
    const run = { messageId: "message-1", task: "tenant_heartbeat", ranAt: Date.now() };
    expect(await stub.recordAgentRun(run)).toEqual({ firstTime: true });
    expect(await stub.recordAgentRun(run)).toEqual({ firstTime: false });
    expect(await stub.agentRuns()).toHaveLength(1);
  });
});
