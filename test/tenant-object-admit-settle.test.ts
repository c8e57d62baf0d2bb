import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { TenantDurableObject } from "../durable-objects/tenant";
import { request } from "./helpers";
import { formTokenFor } from "./intake-secrets";
import { jsonRequest, signUpTenant } from "./tenants";
import { testPhone } from "./twilio";

/**
 * The tenant object's two calls around a write (decision 025): `admit`
 * before it (session, rate token, ledger claim), `settle` after it (keys
 * completed, events published, tickets made — one of them started for its
 * maker to run, with the queue as its retry path).
 */

const policy = { capacity: 3, refillPerSecond: 0.001 };
const eventually = <T>(check: () => Promise<T>) => vi.waitFor(check, { timeout: 20_000, interval: 100 });

/** entity_export writes one file per run: the count of files is the count of runs. */
const exportRuns = async (tenantId: string) =>
  (await env.ARCHIVE.list({ prefix: `exports/${tenantId}/` })).objects.length;

/** Whether the ticket's queue message was ever sent (the outbox mark). */
const sentAt = (tenantId: string, ticketId: string) =>
  runInDurableObject(env.TENANT.getByName(tenantId), async (_o: TenantDurableObject, state) => {
    return state.storage.sql
      .exec<{ sent_at: number | null }>("SELECT sent_at FROM tickets WHERE id = ?", ticketId)
      .one().sent_at;
  });

describe("admit", () => {
  it("spends no rate token for a caller whose session has ended", async () => {
    const stub = env.TENANT.getByName(crypto.randomUUID());
    const sid = crypto.randomUUID();
    await stub.revokeSession(sid, Date.now() + 60_000);
    const session = { userId: crypto.randomUUID(), sid, membershipVersion: 0 };

    const refused = await stub.admit({ session, rate: { key: "api", policy } });

    expect(refused).toEqual({ session: "revoked-session" });
    expect((await stub.peekRateToken("api", policy)).remaining).toBe(3);
  });

  it("claims no ledger key when the rate bucket refuses", async () => {
    const stub = env.TENANT.getByName(crypto.randomUUID());
    const tight = { capacity: 1, refillPerSecond: 0.001 };
    const claim = (key: string) => ({ keys: [key], fingerprint: "f", retentionMs: 60_000, waitMs: 0 });
    expect((await stub.admit({ rate: { key: "r", policy: tight }, claim: claim("first") })).claim).toEqual({
      outcome: "proceed",
    });

    const refused = await stub.admit({ rate: { key: "r", policy: tight }, claim: claim("second") });

    expect(refused.rate?.allowed).toBe(false);
    expect(refused.claim).toBeUndefined();
    expect(await stub.beginAction("second", "f")).toEqual({ outcome: "proceed" });
  });
});

describe("settle", () => {
  it("completes the claimed keys, so a copy arriving afterwards replays the stored response", async () => {
    const tenantId = crypto.randomUUID();
    const stub = env.TENANT.getByName(tenantId);
    await stub.admit({ claim: { keys: ["phone:1", "email:a"], fingerprint: "lead", retentionMs: 60_000, waitMs: 0 } });
    const response = { status: 200, headers: {}, body: '{"leadId":"l-1"}' };

    await stub.settle(tenantId, { complete: { keys: ["phone:1", "email:a"], fingerprint: "lead", response } });

    const copy = await stub.admit({
      claim: { keys: ["email:a"], fingerprint: "lead", retentionMs: 60_000, waitMs: 0 },
    });
    expect(copy.claim).toEqual({ outcome: "replay", response });
  });

  it("publishes the write's events in order, on their channels", async () => {
    const tenantId = crypto.randomUUID();
    const stub = env.TENANT.getByName(tenantId);
    const events = [
      { channel: "entity:lead", type: "entity.created", dataJson: '{"n":1}' },
      { channel: "entity:abc", type: "entity.created", dataJson: '{"n":2}' },
    ];

    await stub.settle(tenantId, { events });

    const page = await stub.poll(0, ["entity:lead", "entity:abc"]);
    expect(page.events.map((e) => [e.channel, e.dataJson])).toEqual([
      ["entity:lead", '{"n":1}'],
      ["entity:abc", '{"n":2}'],
    ]);
  });

  it("makes a ticket once per once-key, however often the write settles", async () => {
    const tenantId = crypto.randomUUID();
    const stub = env.TENANT.getByName(tenantId);
    const ticket = { task: "entity_export", params: {}, onceKey: "export:once" };

    const first = await stub.settle(tenantId, { tickets: [ticket] });
    const second = await stub.settle(tenantId, { tickets: [{ ...ticket, startHere: true }] });

    expect(second.tickets[0]?.ticket.id).toBe(first.tickets[0]?.ticket.id);
    // Already made: whoever made it runs it, so the second caller gets nothing to run.
    expect(second.tickets[0]?.paramsJson).toBeUndefined();
  });
});

describe("a ticket started by its maker", () => {
  it("comes back processing with its params, and no queue message is sent for it", async () => {
    const tenant = await signUpTenant("started-here");
    const stub = env.TENANT.getByName(tenant.tenantId);

    const { tickets } = await stub.settle(tenant.tenantId, {
      tickets: [{ task: "entity_export", params: { type: "lead" }, startHere: true }],
    });

    const [started] = tickets;
    expect(started?.ticket).toMatchObject({ status: "processing", attempts: 1 });
    expect(started?.paramsJson).toBe('{"type":"lead"}');
    expect(await sentAt(tenant.tenantId, started?.ticket.id ?? "")).toBeNull();
  });

  it("is handed to the queue at once when its runner fails, and the queue runs it", async () => {
    const tenant = await signUpTenant("started-fails");
    const stub = env.TENANT.getByName(tenant.tenantId);
    const { tickets } = await stub.settle(tenant.tenantId, {
      tickets: [{ task: "entity_export", params: {}, startHere: true }],
    });
    const id = tickets[0]?.ticket.id ?? "";

    await stub.releaseTicket(id, "attempt 1 failed: the maker's run broke");
    await runDurableObjectAlarm(stub);

    expect(await sentAt(tenant.tenantId, id)).not.toBeNull();
    await eventually(async () => expect(await stub.getTicket(id)).toMatchObject({ status: "completed", attempts: 2 }));
    expect(await exportRuns(tenant.tenantId)).toBe(1);
  });

  it("is taken over by the queue when its runner falls silent past its short lease", async () => {
    const tenant = await signUpTenant("started-silent");
    const stub = env.TENANT.getByName(tenant.tenantId);
    const { tickets } = await stub.settle(tenant.tenantId, {
      tickets: [{ task: "entity_export", params: {}, startHere: true }],
    });
    const id = tickets[0]?.ticket.id ?? "";
    // Its runner died without a word; time passes beyond the lease.
    await runInDurableObject(stub, async (_o: TenantDurableObject, state) => {
      state.storage.sql.exec("UPDATE tickets SET lease_until = ? WHERE id = ?", Date.now() - 1, id);
    });

    await runDurableObjectAlarm(stub);

    await eventually(async () => expect(await stub.getTicket(id)).toMatchObject({ status: "completed", attempts: 2 }));
    expect(await exportRuns(tenant.tenantId)).toBe(1);
  });

  it("is not sent while its runner is alive within its lease", async () => {
    const tenant = await signUpTenant("started-alive");
    const stub = env.TENANT.getByName(tenant.tenantId);
    const { tickets } = await stub.settle(tenant.tenantId, {
      tickets: [{ task: "entity_export", params: {}, startHere: true }],
    });
    const id = tickets[0]?.ticket.id ?? "";

    await runDurableObjectAlarm(stub);

    expect(await sentAt(tenant.tenantId, id)).toBeNull();
    expect(await stub.getTicket(id)).toMatchObject({ status: "processing", attempts: 1 });
  });
});

describe("lead intake", () => {
  it("dials the owner from the intake request itself: the bridge ticket completes on its first attempt and never goes through the queue", async () => {
    const tenant = await signUpTenant("intake-dials-itself");
    const path = `/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`;
    const current = await request(path, { headers: tenant.auth });
    const saved = await request(
      path,
      jsonRequest(
        "PUT",
        { ownerPhone: testPhone(), trackingNumber: testPhone() },
        { ...tenant.auth, "if-match": current.headers.get("etag") ?? "" },
      ),
    );
    expect(saved.status).toBe(200);
    const formToken = await formTokenFor(tenant);

    const taken = await request(
      `/webhooks/leads/form?project=${tenant.projectId}&token=${formToken}`,
      jsonRequest("POST", { name: "Quick Quentin", phone: testPhone(), message: "Leak under the sink" }, {}),
    );

    expect(taken.status).toBe(200);
    const { ticketId } = await taken.json<{ ticketId: string }>();
    const stub = env.TENANT.getByName(tenant.tenantId);
    await eventually(async () =>
      expect(await stub.getTicket(ticketId)).toMatchObject({ task: "sales_agent", status: "completed", attempts: 1 }),
    );
    expect(await sentAt(tenant.tenantId, ticketId)).toBeNull();
  });
});
