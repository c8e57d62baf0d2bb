import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TICKET_LEASE_MS } from "../durable-objects/capabilities/tickets";
import type { TenantDurableObject } from "../durable-objects/tenant";
import worker from "../workers/index";
import { signUpTenant } from "./tenants";

/** A sent entity_export ticket in `status`, so neither the alarm nor a live message races the test's steps. */
async function storedTicket(tenantId: string, status: "queued" | "processing", leaseUntil: number | null) {
  const id = crypto.randomUUID();
  await runInDurableObject(env.TENANT.getByName(tenantId), async (_o: TenantDurableObject, state) => {
    const now = Date.now();
    state.storage.sql.exec(
      `INSERT INTO tickets (id, task, params, status, attempts, created_at, updated_at, expires_at, sent_at, lease_until)
       VALUES (?, 'entity_export', '{}', ?, ?, ?, ?, ?, ?, ?)`,
      id,
      status,
      status === "processing" ? 1 : 0,
      now,
      now,
      now + 3_600_000,
      now,
      leaseUntil,
    );
  });
  return id;
}

/** Delivers the ticket's queue message to the consumer, as a redelivery would. */
async function deliver(tenantId: string, ticketId: string) {
  const body = { task: "entity_export", tenantId, ticketId, params: {} };
  const batch = createMessageBatch("apex-agents", [
    { id: `copy-${ticketId}`, timestamp: new Date(), attempts: 2, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

/** entity_export writes one file per run: the count of files is the count of runs. */
const exportRuns = async (tenantId: string) =>
  (await env.ARCHIVE.list({ prefix: `exports/${tenantId}/` })).objects.length;

describe("ticket leases", () => {
  it("a redelivered message for a ticket whose runner holds a live lease does not run the agent a second time", async () => {
    const tenant = await signUpTenant("lease-live");
    const stub = env.TENANT.getByName(tenant.tenantId);
    const id = await storedTicket(tenant.tenantId, "queued", null);
    // The first delivery's runner took the ticket and is still working on it.
    const first = await stub.startTicket(id);
    expect(first.outcome).toBe("started");

    const result = await deliver(tenant.tenantId, id);

    expect(result.explicitAcks).toEqual([]);
    // Retried (after the lease, so a dead runner's ticket is taken over then), not run now.
    expect(result.retryMessages.map((m) => m.msgId)).toEqual([`copy-${id}`]);
    expect(await exportRuns(tenant.tenantId)).toBe(0);
    expect(await stub.getTicket(id)).toMatchObject({ status: "processing", attempts: 1 });
  });

  it("a progress report renews the lease, so a copy arriving late in a long run is still refused", async () => {
    const tenant = await signUpTenant("lease-renewed");
    const stub = env.TENANT.getByName(tenant.tenantId);
    // Almost run out, then renewed by the runner's progress report.
    const id = await storedTicket(tenant.tenantId, "processing", Date.now() + 1_000);
    await stub.reportProgress(id, 50, "halfway");

    expect(await stub.startTicket(id)).toMatchObject({ outcome: "busy" });
    const busy = await stub.startTicket(id);
    expect(busy.outcome === "busy" && busy.leaseEndsInMs).toBeGreaterThan(TICKET_LEASE_MS - 30_000);
  });

  it("a ticket whose lease expired (its runner died) is picked up again and run once", async () => {
    const tenant = await signUpTenant("lease-expired");
    const stub = env.TENANT.getByName(tenant.tenantId);
    const id = await storedTicket(tenant.tenantId, "processing", Date.now() - 1);

    const result = await deliver(tenant.tenantId, id);

    expect(result.explicitAcks).toEqual([`copy-${id}`]);
    expect(await exportRuns(tenant.tenantId)).toBe(1);
    expect(await stub.getTicket(id)).toMatchObject({ status: "completed", attempts: 2 });
  });

  it("a finished ticket's copy is dropped, not retried", async () => {
    const tenant = await signUpTenant("lease-finished");
    const stub = env.TENANT.getByName(tenant.tenantId);
    const id = await storedTicket(tenant.tenantId, "processing", Date.now() + TICKET_LEASE_MS);
    await stub.completeTicket(id, "null");

    const result = await deliver(tenant.tenantId, id);

    expect(result.explicitAcks).toEqual([`copy-${id}`]);
    expect(result.retryMessages).toEqual([]);
    expect(await exportRuns(tenant.tenantId)).toBe(0);
  });
});
