/**
 * Issue #11 items 9, 11 (service side), 16, 17 and 18: what each role may
 * reach, whoever asks — the API, the web app's services or a socket.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../../schema/db";
import { auditLog } from "../../schema/tables";
import { withTenant } from "../../schema/tenant-transaction";
import type { RequestActor, Role } from "../../workers/context";
import { Problem } from "../../workers/problems";
import { createApiKey, revokeKey } from "../../workers/services/api-keys";
import { changeMemberRole, invite, removeMember } from "../../workers/services/members";
import { getTicket } from "../../workers/services/tasks";
import { request } from "../helpers";
import { apiKeyFor, jsonRequest, memberOf, signUpTenant, type TestTenant } from "../tenants";
import { simMessages, testPhone } from "../twilio";

let tenant: TestTenant;
let other: TestTenant;
beforeAll(async () => {
  tenant = await signUpTenant("roles");
  other = await signUpTenant("roles-other");
});

interface TicketBody {
  id: string;
  status: string;
  result: { downloadUrl?: string } | null;
}

async function finishedExport(): Promise<string> {
  const started = await request("/api/v1/tasks/entity_export", jsonRequest("POST", {}, tenant.auth));
  const { id } = await started.json<TicketBody>();
  await vi.waitFor(
    async () => {
      const ticket = await (await request(`/api/v1/tickets/${id}`, { headers: tenant.auth })).json<TicketBody>();
      if (ticket.status !== "completed") throw new Error(`still ${ticket.status}`);
    },
    { timeout: 15_000, interval: 100 },
  );
  return id;
}

describe("export download links (item 9)", () => {
  it("refuses: a viewer or member reading a download link for an admin-only export", async () => {
    const id = await finishedExport();
    const owners = await (await request(`/api/v1/tickets/${id}`, { headers: tenant.auth })).json<TicketBody>();
    expect(owners.result?.downloadUrl).toContain(`/api/v1/downloads/exports/${id}`);
    for (const role of ["viewer", "member"] as const) {
      const caller = await memberOf(tenant, role);
      const one = await (await request(`/api/v1/tickets/${id}`, { headers: caller.auth })).json<TicketBody>();
      expect(one.status).toBe("completed");
      expect(one.result?.downloadUrl).toBeUndefined();
      const list = await (await request("/api/v1/tickets", { headers: caller.auth })).json<{ items: TicketBody[] }>();
      expect(list.items.find((t) => t.id === id)?.result?.downloadUrl).toBeUndefined();
      expect((await request(`/api/v1/tickets/${id}/download`, { headers: caller.auth })).status).toBe(403);
    }
    // An admin of another tenant gets no link to this tenant's export either.
    expect((await request(`/api/v1/tickets/${id}`, { headers: other.auth })).status).toBe(404);
  });
});

describe("API key revocation (item 16)", () => {
  it("refuses: an admin revoking the owner's API key", async () => {
    const created = await request(
      "/api/v1/api-keys",
      jsonRequest("POST", { name: "owner's", role: "owner" }, tenant.auth),
    );
    const ownerKey = await created.json<{ id: string; key: string }>();
    const admin = await memberOf(tenant, "admin");
    const revoke = await request(`/api/v1/api-keys/${ownerKey.id}`, { method: "DELETE", headers: admin.auth });
    expect(revoke.status).toBe(403);
    expect((await revoke.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("id");
    expect((await request("/api/v1/entities", { headers: { authorization: `Bearer ${ownerKey.key}` } })).status).toBe(
      200,
    );
    // An admin still revokes keys at or below its own role, and the owner revokes the owner's.
    const adminKey = await request(
      "/api/v1/api-keys",
      jsonRequest("POST", { name: "admin's", role: "admin" }, admin.auth),
    );
    const { id } = await adminKey.json<{ id: string }>();
    expect((await request(`/api/v1/api-keys/${id}`, { method: "DELETE", headers: admin.auth })).status).toBe(204);
    expect((await request(`/api/v1/api-keys/${ownerKey.id}`, { method: "DELETE", headers: tenant.auth })).status).toBe(
      204,
    );
  });

  it("refuses: an admin minting a key above its role", async () => {
    const admin = await memberOf(tenant, "admin");
    const mint = await request("/api/v1/api-keys", jsonRequest("POST", { name: "up", role: "owner" }, admin.auth));
    expect(mint.status).toBe(403);
  });
});

describe("service inputs (item 11, service side)", () => {
  const actorOf = (role: Role): RequestActor => ({
    auth: { method: "jwt", tenantId: tenant.tenantId, userId: tenant.userId, role, verifiedAt: new Date() },
    requestId: crypto.randomUUID(),
    ip: null,
  });

  async function refusal(run: (context: { env: Env; db: ReturnType<typeof openDatabase>["db"] }) => Promise<unknown>) {
    const handle = openDatabase(env);
    try {
      await run({ env, db: handle.db });
    } catch (error) {
      return error;
    } finally {
      await handle.close();
    }
    return undefined;
  }

  const cases: [string, string, (c: { env: Env; db: ReturnType<typeof openDatabase>["db"] }) => Promise<unknown>][] = [
    [
      "a key with role superadmin",
      "role",
      (c) => createApiKey({ name: "x", role: "superadmin" as Role }, { ...c, actor: actorOf("owner") }),
    ],
    [
      "a key with role __proto__",
      "role",
      (c) => createApiKey({ name: "x", role: "__proto__" as Role }, { ...c, actor: actorOf("owner") }),
    ],
    ["revoking a non-uuid key id", "id", (c) => revokeKey("1 or 1=1", { ...c, actor: actorOf("owner") })],
    [
      "a member role of superadmin",
      "role",
      (c) => changeMemberRole(tenant.userId, "superadmin", { ...c, actor: actorOf("owner") }),
    ],
    [
      "a member role of __proto__",
      "role",
      (c) => changeMemberRole(tenant.userId, "__proto__", { ...c, actor: actorOf("owner") }),
    ],
    [
      "changing a non-uuid member",
      "userId",
      (c) => changeMemberRole("__proto__", "viewer", { ...c, actor: actorOf("owner") }),
    ],
    ["removing a non-uuid member", "userId", (c) => removeMember("not-a-uuid", { ...c, actor: actorOf("owner") })],
    [
      "inviting as superadmin",
      "role",
      (c) => invite({ email: "x@example.com", role: "superadmin" as Role }, { ...c, actor: actorOf("owner") }),
    ],
    ["reading a non-uuid ticket", "id", (c) => getTicket("../../etc", { ...c, actor: actorOf("owner") })],
  ];

  for (const [attack, field, run] of cases) {
    it(`refuses: ${attack}, with a 422 naming ${field} and no SQL`, async () => {
      const error = await refusal(run);
      expect(error).toBeInstanceOf(Problem);
      const problem = error as Problem;
      expect(problem.status).toBe(422);
      expect(problem.errors?.map((e) => e.field)).toContain(field);
      expect(problem.detail ?? "").not.toMatch(/failed query|insert into|select .* from/i);
    });
  }
});

describe("request ids (item 17)", () => {
  async function leadWithNumber() {
    const path = `/api/v1/projects/${tenant.projectId}/voice-settings`;
    const current = await request(path, { headers: tenant.auth });
    const settings = { ownerPhone: testPhone(), trackingNumber: testPhone() };
    const saved = await request(
      path,
      jsonRequest("PUT", settings, { ...tenant.auth, "if-match": current.headers.get("etag") ?? "" }),
    );
    expect(saved.status).toBe(200);
    const phone = testPhone();
    const lead = await request(
      "/api/v1/entities",
      jsonRequest(
        "POST",
        { projectId: tenant.projectId, type: "lead", name: "Texted Tess", data: { phone } },
        tenant.auth,
      ),
    );
    expect(lead.status).toBe(201);
    return { id: (await lead.json<{ id: string }>()).id, phone };
  }

  it("refuses: a reused client X-Request-Id silently dropping the second manual text", async () => {
    const lead = await leadWithNumber();
    const clientId = `client-${crypto.randomUUID()}`;
    const headers = { ...tenant.auth, "x-request-id": clientId };
    const first = await request(`/api/v1/leads/${lead.id}/sms`, jsonRequest("POST", { body: "First" }, headers));
    const second = await request(`/api/v1/leads/${lead.id}/sms`, jsonRequest("POST", { body: "Second" }, headers));
    expect(first.status).toBeLessThan(300);
    expect(second.status).toBeLessThan(300);
    const serverIds = [first.headers.get("x-request-id"), second.headers.get("x-request-id")];
    expect(serverIds).not.toContain(clientId);
    expect(new Set(serverIds).size).toBe(2);
    const texts = (await simMessages()).filter((m) => m.to === lead.phone).map((m) => m.body);
    expect(texts).toEqual(expect.arrayContaining(["First", "Second"]));
  });

  it("keeps the client's id only under its own label in the audit log", async () => {
    const clientId = `client-${crypto.randomUUID()}`;
    const created = await request(
      "/api/v1/entities",
      jsonRequest(
        "POST",
        { projectId: tenant.projectId, type: "keyword", name: "traced" },
        {
          ...tenant.auth,
          "x-request-id": clientId,
        },
      ),
    );
    expect(created.status).toBe(201);
    const serverId = created.headers.get("x-request-id");
    const handle = openDatabase(env);
    try {
      const rows = await withTenant(handle.db, tenant.tenantId, (tx) =>
        tx.select({ requestId: auditLog.requestId, clientRequestId: auditLog.clientRequestId }).from(auditLog),
      );
      const mine = rows.filter((r) => r.requestId === serverId);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((r) => r.clientRequestId === clientId)).toBe(true);
      expect(rows.some((r) => r.requestId === clientId)).toBe(false);
    } finally {
      await handle.close();
    }
  });

  it("a problem names the server's request id, not the client's", async () => {
    const clientId = `client-${crypto.randomUUID()}`;
    const response = await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: "nope" }, { ...tenant.auth, "x-request-id": clientId }),
    );
    expect(response.status).toBe(422);
    const body = await response.json<{ requestId: string }>();
    expect(body.requestId).not.toBe(clientId);
    expect(body.requestId).toBe(response.headers.get("x-request-id"));
  });
});

describe("realtime channels by role (item 18)", () => {
  const poll = (channels: string, headers: Record<string, string>) =>
    request(`/api/v1/realtime/poll?channels=${encodeURIComponent(channels)}`, { headers });

  it("refuses: a viewer or member long-polling webhook:* or a webhook's channel", async () => {
    for (const role of ["viewer", "member"] as const) {
      const caller = await apiKeyFor(tenant, role);
      for (const channels of ["webhook:*", `webhook:${crypto.randomUUID()}`, "entity:lead,webhook:*"]) {
        const response = await poll(channels, caller);
        expect(response.status).toBe(403);
        expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("channels");
      }
    }
    expect((await poll("webhook:*", await apiKeyFor(tenant, "admin"))).status).toBe(200);
    expect((await poll("entity:lead", await apiKeyFor(tenant, "viewer"))).status).toBe(200);
  });

  it("refuses: a viewer subscribing a WebSocket to webhook:* and receiving endpoint events", async () => {
    const viewer = await memberOf(tenant, "viewer");
    const response = await request("/api/v1/realtime", {
      headers: { upgrade: "websocket", "sec-websocket-protocol": `apex.v1, apex.auth.${viewer.accessToken}` },
    });
    expect(response.status).toBe(101);
    const socket = response.webSocket as WebSocket;
    const frames: Record<string, unknown>[] = [];
    socket.addEventListener("message", (event) => frames.push(JSON.parse(event.data as string)));
    socket.accept();
    socket.send(JSON.stringify({ type: "subscribe", channels: ["webhook:*"] }));
    await vi.waitFor(() => expect(frames.length).toBeGreaterThan(0), { timeout: 5_000 });
    expect(frames[0]).toMatchObject({ type: "error", code: "forbidden", channels: ["webhook:*"] });
    await env.TENANT.getByName(tenant.tenantId).publish(
      `webhook:${crypto.randomUUID()}`,
      "webhook_endpoint.disabled",
      JSON.stringify({ url: "https://secret.example/hook" }),
    );
    socket.send(JSON.stringify({ type: "ping" }));
    await vi.waitFor(() => expect(frames.some((f) => f.type === "pong")).toBe(true), { timeout: 5_000 });
    expect(frames.some((f) => f.type === "event")).toBe(false);
    socket.close(1000, "done");
  });

  it("refuses: a client claiming a role through the socket-owner header", async () => {
    const viewer = await memberOf(tenant, "viewer");
    const response = await request("/api/v1/realtime", {
      headers: {
        upgrade: "websocket",
        "sec-websocket-protocol": `apex.v1, apex.auth.${viewer.accessToken}`,
        "x-apex-socket-owner": JSON.stringify({ role: "owner" }),
      },
    });
    const socket = response.webSocket as WebSocket;
    const frames: Record<string, unknown>[] = [];
    socket.addEventListener("message", (event) => frames.push(JSON.parse(event.data as string)));
    socket.accept();
    socket.send(JSON.stringify({ type: "subscribe", channels: ["webhook:*"] }));
    await vi.waitFor(() => expect(frames.length).toBeGreaterThan(0), { timeout: 5_000 });
    expect(frames[0]).toMatchObject({ type: "error", code: "forbidden" });
    socket.close(1000, "done");
  });
});

describe("bench routes (item 18)", () => {
  it("refuses: /api/_bench/* listed in the OpenAPI document", async () => {
    const doc = await (await request("/api/openapi.json")).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/api/_bench"))).toEqual([]);
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
  });

  it("refuses: bench routes answering in production, even with BENCH_ROUTES=on", async () => {
    const rpc = { method: "POST" };
    expect(
      (await request("/api/_bench/tenant-object-rpc", rpc, { BENCH_ROUTES: "on", APP_ENV: "production" })).status,
    ).toBe(404);
    expect((await request("/api/_bench/tenant-object-rpc", rpc, { BENCH_ROUTES: "on", APP_ENV: "test" })).status).toBe(
      200,
    );
  });
});
