import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { TenantDurableObject } from "../durable-objects/tenant";
import { retryDelaySeconds } from "../workers/agents/consumer";
import worker from "../workers/index";
import { request } from "./helpers";
import { apiKeyFor, jsonRequest, signUpTenant, type TestTenant } from "./tenants";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await signUpTenant("tasks");
  for (const name of ["a", "b", "c"]) {
    await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "keyword", name }, tenant.auth),
    );
  }
});

interface TicketBody {
  id: string;
  status: string;
  progress: number;
  result: { key?: string; count?: number; downloadUrl?: string } | null;
}

async function settled(id: string, owner = tenant): Promise<TicketBody> {
  return vi.waitFor(
    async () => {
      const ticket = await (await request(`/api/v1/tickets/${id}`, { headers: owner.auth })).json<TicketBody>();
      if (ticket.status === "queued" || ticket.status === "processing") throw new Error(`still ${ticket.status}`);
      return ticket;
    },
    { timeout: 15_000, interval: 100 },
  );
}

describe("tasks", () => {
  it("an instant task answers 200 with its result", async () => {
    const response = await request("/api/v1/tasks/health_check", jsonRequest("POST", {}, tenant.auth));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ result: { status: "ok", postgres: "ok" } });
  });

  it("a heavy task answers 202 with a ticket that runs to completed with its result", async () => {
    const response = await request(
      "/api/v1/tasks/entity_export",
      jsonRequest("POST", { params: { type: "keyword" } }, tenant.auth),
    );
    expect(response.status).toBe(202);
    const ticket = await response.json<TicketBody>();
    expect(response.headers.get("location")).toBe(`/api/v1/tickets/${ticket.id}`);
    expect(ticket.status).toBe("queued");
    const done = await settled(ticket.id);
    expect(done).toMatchObject({ status: "completed", progress: 100, result: { count: 3 } });
    const file = await request(`/api/v1/tickets/${ticket.id}/download`, { headers: tenant.auth });
    expect(file.status).toBe(200);
    const lines = (await file.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.type === "keyword")).toBe(true);
  });

  it("a finished export's result carries a signed link that downloads the file without credentials", async () => {
    const { id } = await (
      await request("/api/v1/tasks/entity_export", jsonRequest("POST", { params: { type: "keyword" } }, tenant.auth))
    ).json<TicketBody>();
    const done = await settled(id);
    const link = new URL(done.result?.downloadUrl ?? "");
    expect(link.origin).toBe(env.PUBLIC_BASE_URL);
    expect(link.pathname).toBe(`/api/v1/downloads/exports/${id}`);
    const file = await request(`${link.pathname}${link.search}`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("application/x-ndjson");
    expect((await file.text()).trim().split("\n")).toHaveLength(3);
  });

  it("a download link that is tampered with or names another ticket is refused with 401", async () => {
    const { id } = await (
      await request("/api/v1/tasks/entity_export", jsonRequest("POST", {}, tenant.auth))
    ).json<TicketBody>();
    const link = new URL((await settled(id)).result?.downloadUrl ?? "");
    const token = link.searchParams.get("token") ?? "";
    const forged = `${token.slice(0, -4)}${token.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    expect((await request(`/api/v1/downloads/exports/${id}?token=${forged}`)).status).toBe(401);
    const otherTicket = crypto.randomUUID();
    expect((await request(`/api/v1/downloads/exports/${otherTicket}?token=${token}`)).status).toBe(401);
    // An access token is not a download link.
    expect((await request(`/api/v1/downloads/exports/${id}?token=${tenant.accessToken}`)).status).toBe(401);
  });

  it("an unknown task is a 404 and bad params a 422 naming the param", async () => {
    expect((await request("/api/v1/tasks/make_coffee", jsonRequest("POST", {}, tenant.auth))).status).toBe(404);
    const bad = await request("/api/v1/tasks/entity_export", jsonRequest("POST", { params: { type: 7 } }, tenant.auth));
    expect(bad.status).toBe(422);
    expect((await bad.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("params.type");
  });

  it("a task needs its own role: a member cannot export (403)", async () => {
    const member = await apiKeyFor(tenant, "member");
    expect((await request("/api/v1/tasks/entity_export", jsonRequest("POST", {}, member))).status).toBe(403);
  });

  it("another tenant's ticket answers 404", async () => {
    const other = await signUpTenant("tasks-other");
    const { id } = await (
      await request("/api/v1/tasks/entity_export", jsonRequest("POST", {}, tenant.auth))
    ).json<TicketBody>();
    expect((await request(`/api/v1/tickets/${id}`, { headers: other.auth })).status).toBe(404);
    expect((await request(`/api/v1/tickets/${id}/cancel`, { method: "POST", headers: other.auth })).status).toBe(404);
  });

  it("a cancelled ticket stays cancelled; the queued message is dropped", async () => {
    const stub = env.TENANT.getByName(tenant.tenantId);
    const ticket = await stub.createTicket(tenant.tenantId, "entity_export", {});
    const cancelled = await request(`/api/v1/tickets/${ticket.id}/cancel`, { method: "POST", headers: tenant.auth });
    expect((await cancelled.json<TicketBody>()).status).toBe("cancelled");
    await new Promise((r) => setTimeout(r, 500));
    expect((await stub.getTicket(ticket.id))?.status).toBe("cancelled");
  });

  it("a ticket whose queue message never went out is sent by the object's alarm", async () => {
    const stub = env.TENANT.getByName(tenant.tenantId);
    const id = crypto.randomUUID();
    await runInDurableObject(stub, async (_o: TenantDurableObject, state) => {
      const old = Date.now() - 60_000;
      state.storage.sql.exec(
        `INSERT INTO tickets (id, task, params, status, created_at, updated_at, expires_at, sent_at)
         VALUES (?, 'entity_export', '{}', 'queued', ?, ?, ?, NULL)`,
        id,
        old,
        old,
        old + 3_600_000,
      );
    });
    await runDurableObjectAlarm(stub);
    expect((await settled(id)).status).toBe("completed");
  });

  it("a dead-lettered message fails its ticket with the last error the agent reported", async () => {
    const stub = env.TENANT.getByName(tenant.tenantId);
    // A ticket as the consumer leaves it after its last failed attempt (written directly, so no live message races it).
    const ticket = { id: crypto.randomUUID() };
    await runInDurableObject(stub, async (_o: TenantDurableObject, state) => {
      const now = Date.now();
      state.storage.sql.exec(
        `INSERT INTO tickets (id, task, params, status, message, attempts, created_at, updated_at, expires_at, sent_at)
         VALUES (?, 'entity_export', '{}', 'processing', 'attempt 6 failed: boom', 6, ?, ?, ?, ?)`,
        ticket.id,
        now,
        now,
        now + 3_600_000,
        now,
      );
    });
    const batch = createMessageBatch("apex-agents-dlq", [
      {
        id: "dead-1",
        timestamp: new Date(),
        attempts: 1,
        body: { task: "entity_export", tenantId: tenant.tenantId, ticketId: ticket.id, params: {} },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["dead-1"]);
    const failed = await stub.getTicket(ticket.id);
    expect(failed?.status).toBe("failed");
    expect(failed?.error).toContain("gave up after 6 attempts");
    expect(failed?.error).toContain("boom");
  });

  it("retry runs a failed ticket again to completion; a ticket that is not failed answers 409", async () => {
    const stub = env.TENANT.getByName(tenant.tenantId);
    const id = crypto.randomUUID();
    await runInDurableObject(stub, async (_o: TenantDurableObject, state) => {
      const now = Date.now();
      state.storage.sql.exec(
        `INSERT INTO tickets (id, task, params, status, error, attempts, created_at, updated_at, expires_at, sent_at)
         VALUES (?, 'entity_export', '{}', 'failed', 'gave up', 6, ?, ?, ?, ?)`,
        id,
        now,
        now,
        now + 3_600_000,
        now,
      );
    });
    const retried = await request(`/api/v1/tickets/${id}/retry`, { method: "POST", headers: tenant.auth });
    expect(retried.status).toBe(200);
    expect((await settled(id)).status).toBe("completed");
    expect((await request(`/api/v1/tickets/${id}/retry`, { method: "POST", headers: tenant.auth })).status).toBe(409);
  });

  it("a finished ticket is kept in Postgres and still readable after the object forgets it", async () => {
    const { id } = await (
      await request("/api/v1/tasks/entity_export", jsonRequest("POST", {}, tenant.auth))
    ).json<TicketBody>();
    const done = await settled(id);
    expect(done.status).toBe("completed");
    await vi.waitFor(
      async () => {
        await runInDurableObject(env.TENANT.getByName(tenant.tenantId), async (_o: TenantDurableObject, state) => {
          state.storage.sql.exec("DELETE FROM tickets WHERE id = ?", id);
        });
        const response = await request(`/api/v1/tickets/${id}`, { headers: tenant.auth });
        if (response.status !== 200) throw new Error(`history not written yet: ${response.status}`);
        // The download link is minted on each read, so only the stored result is compared.
        expect(await response.json()).toMatchObject({
          id,
          status: "completed",
          result: { key: done.result?.key, count: done.result?.count },
        });
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it("evicting the tenant object mid-task loses nothing: the ticket and its events survive and the run completes", async () => {
    const stub = env.TENANT.getByName(tenant.tenantId);
    const id = crypto.randomUUID();
    await runInDurableObject(stub, async (_o: TenantDurableObject, state) => {
      const now = Date.now();
      // Sent already, so neither the alarm nor a live message races the steps below.
      state.storage.sql.exec(
        `INSERT INTO tickets (id, task, params, status, created_at, updated_at, expires_at, sent_at)
         VALUES (?, 'entity_export', '{}', 'queued', ?, ?, ?, ?)`,
        id,
        now,
        now,
        now + 3_600_000,
        now,
      );
    });
    // What the consumer does, with the object evicted halfway through the run.
    await stub.startTicket(id);
    await stub.reportProgress(id, 40, "halfway");
    await expect(
      runInDurableObject(stub, async (_o: TenantDurableObject, state) => state.abort("evicted by the test")),
    ).rejects.toThrow();
    const fresh = env.TENANT.getByName(tenant.tenantId);
    expect(await fresh.getTicket(id)).toMatchObject({ status: "processing", progress: 40, message: "halfway" });
    await fresh.reportProgress(id, 80, "nearly");
    expect(await fresh.completeTicket(id, JSON.stringify({ ok: true }))).toMatchObject({ status: "completed" });
    const page = await fresh.poll(0, [`ticket:${id}`]);
    expect(page.events.map((e) => e.type)).toEqual([
      "ticket.processing",
      "ticket.processing",
      "ticket.processing",
      "ticket.completed",
    ]);
    expect(page.events.map((e) => JSON.parse(e.dataJson).progress)).toEqual([0, 40, 80, 100]);
  });

  it("a task whose object is evicted right after the 202 still runs to completion", async () => {
    const { id } = await (
      await request("/api/v1/tasks/entity_export", jsonRequest("POST", {}, tenant.auth))
    ).json<TicketBody>();
    await runInDurableObject(env.TENANT.getByName(tenant.tenantId), async (_o: TenantDurableObject, state) =>
      state.abort("evicted by the test"),
    ).catch(() => undefined);
    expect(await settled(id)).toMatchObject({ status: "completed", progress: 100 });
  });

  it("backoff doubles from the base each attempt and stops growing at five minutes", () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelaySeconds(2, attempt))).toEqual([2, 4, 8, 16]);
    expect(retryDelaySeconds(2, 12)).toBe(300);
    expect(retryDelaySeconds(0, 3)).toBe(0);
  });

  it("a failing agent is retried with backoff, then dead-lettered; the ticket shows the error and retry re-runs it", async () => {
    const stub = env.TENANT.getByName(tenant.tenantId);
    const id = crypto.randomUUID();
    await runInDurableObject(stub, async (_o: TenantDurableObject, state) => {
      const now = Date.now();
      state.storage.sql.exec(
        `INSERT INTO tickets (id, task, params, status, created_at, updated_at, expires_at, sent_at)
         VALUES (?, 'entity_export', '{}', 'queued', ?, ?, ?, ?)`,
        id,
        now,
        now,
        now + 3_600_000,
        now,
      );
    });
    const body = { task: "entity_export", tenantId: tenant.tenantId, ticketId: id, params: {} };
    // Postgres is unreachable for these deliveries: the export fails every time.
    const broken = { ...env, NEON_WS_PROXY: env.DEAD_WS_PROXY, AGENT_RETRY_BASE_SECONDS: "2" } as Env;
    for (const attempts of [1, 2, 3]) {
      // A hand-built delivery: the test harness's batch does not report the delay a retry asked for.
      const asked: { acked: boolean; retry?: QueueRetryOptions } = { acked: false };
      const message = {
        id: `m-${attempts}`,
        timestamp: new Date(),
        attempts,
        body,
        ack: () => {
          asked.acked = true;
        },
        retry: (options?: QueueRetryOptions) => {
          asked.retry = options ?? {};
        },
      };
      const batch = { queue: "apex-agents", messages: [message], ackAll: () => {}, retryAll: () => {} };
      const ctx = createExecutionContext();
      await worker.queue(batch as unknown as MessageBatch<unknown>, broken, ctx);
      await waitOnExecutionContext(ctx);
      expect(asked).toEqual({ acked: false, retry: { delaySeconds: 2 ** attempts } });
    }
    const failing = await stub.getTicket(id);
    expect(failing).toMatchObject({ status: "processing", attempts: 3 });
    expect(failing?.message).toMatch(/^attempt 3 failed: /);
    // The queue gives up (max_retries) and hands the message to the dead-letter consumer.
    const dead = createMessageBatch("apex-agents-dlq", [{ id: "dlq-1", timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue(dead, env, ctx);
    await getQueueResult(dead, ctx);
    const failed = await request(`/api/v1/tickets/${id}`, { headers: tenant.auth });
    const shown = await failed.json<TicketBody & { error: string }>();
    expect(shown.status).toBe("failed");
    expect(shown.error).toContain("gave up after 3 attempts");
    const retried = await request(`/api/v1/tickets/${id}/retry`, { method: "POST", headers: tenant.auth });
    expect(retried.status).toBe(200);
    expect(await settled(id)).toMatchObject({ status: "completed" });
  });

  it("lists tickets by status", async () => {
    const list = await (await request("/api/v1/tickets?status=completed", { headers: tenant.auth })).json<{
      items: TicketBody[];
    }>();
    expect(list.items.length).toBeGreaterThan(0);
    expect(list.items.every((t) => t.status === "completed")).toBe(true);
  });
});
