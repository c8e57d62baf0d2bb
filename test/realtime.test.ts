import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { EVENT_LOG_LIMIT } from "../durable-objects/capabilities/events";
import { request } from "./helpers";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await signUpTenant("realtime");
});

interface Page {
  events: { seq: number; channel: string; type: string; data: { status?: string; progress?: number; name?: string } }[];
  cursor: number;
  gap: boolean;
}

const poll = async (channels: string, cursor = 0, wait = 0, owner = tenant) =>
  (
    await request(`/api/v1/realtime/poll?channels=${encodeURIComponent(channels)}&cursor=${cursor}&wait=${wait}`, {
      headers: owner.auth,
    })
  ).json<Page>();

describe("the long-poll event log", () => {
  it("returns a heavy task's ticket events in order: queued → processing → progress → completed", async () => {
    const { id } = await (await request("/api/v1/tasks/entity_export", jsonRequest("POST", {}, tenant.auth))).json<{
      id: string;
    }>();
    const seen: Page["events"] = [];
    let cursor = 0;
    for (let i = 0; i < 20 && !seen.some((e) => e.type === "ticket.completed"); i++) {
      const page = await poll(`ticket:${id}`, cursor, 5);
      seen.push(...page.events);
      cursor = page.cursor;
    }
    const types = seen.map((e) => e.type);
    expect(types[0]).toBe("ticket.queued");
    expect(types).toContain("ticket.processing");
    expect(types[types.length - 1]).toBe("ticket.completed");
    const seqs = seen.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("a parked poll wakes up when an entity changes", async () => {
    const start = await poll("entity:lead");
    const parked = poll("entity:lead", start.cursor, 10);
    await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "lead", name: "Live Lucy" }, tenant.auth),
    );
    const page = await parked;
    expect(page.events.map((e) => [e.type, e.data.name])).toEqual([["entity.created", "Live Lucy"]]);
  });

  it("resuming from a cursor returns only what came after it", async () => {
    const first = await poll("entity:*");
    await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "keyword", name: "after" }, tenant.auth),
    );
    const next = await poll("entity:*", first.cursor);
    expect(next.events.every((e) => e.seq > first.cursor)).toBe(true);
    expect(next.events.map((e) => e.data.name)).toEqual(["after", "after"]);
  });

  it("a malformed channel is a 422 naming channels", async () => {
    const response = await request("/api/v1/realtime/poll?channels=evil", { headers: tenant.auth });
    expect(response.status).toBe(422);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("channels");
  });

  it("one tenant never sees another tenant's events", async () => {
    const other = await signUpTenant("realtime-other");
    await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "lead", name: "Secret" }, tenant.auth),
    );
    const page = await poll("entity:*", 0, 0, other);
    expect(page.events.map((e) => e.data.name)).not.toContain("Secret");
  });

  it("a client that fell behind the bounded log is told there is a gap", async () => {
    const stub = env.TENANT.getByName(crypto.randomUUID());
    for (let i = 0; i < EVENT_LOG_LIMIT + 5; i++) await stub.publish("entity:x", "entity.updated", "{}");
    const page = await stub.poll(1, ["entity:x"]);
    expect(page.gap).toBe(true);
  });
});

describe("the WebSocket", () => {
  async function connect(token: string): Promise<{
    socket: WebSocket;
    frames: Record<string, unknown>[];
    next: (type: string) => Promise<Record<string, unknown>>;
  }> {
    const response = await request("/api/v1/realtime", {
      headers: { upgrade: "websocket", "sec-websocket-protocol": `apex.v1, apex.auth.${token}` },
    });
    expect(response.status).toBe(101);
    const socket = response.webSocket as WebSocket;
    socket.accept();
    const frames: Record<string, unknown>[] = [];
    const waiters: (() => void)[] = [];
    socket.addEventListener("message", (event) => {
      frames.push(JSON.parse(event.data as string));
      for (const wake of waiters.splice(0)) wake();
    });
    const next = async (type: string) => {
      for (;;) {
        const index = frames.findIndex((f) => f.type === type);
        if (index >= 0) return frames.splice(index, 1)[0] as Record<string, unknown>;
        await Promise.race([
          new Promise<void>((r) => waiters.push(r)),
          new Promise((_, no) => setTimeout(() => no(new Error(`no ${type} frame`)), 10_000)),
        ]);
      }
    };
    return { socket, frames, next };
  }

  it("refuses a handshake without a valid credential (401)", async () => {
    const response = await request("/api/v1/realtime", {
      headers: { upgrade: "websocket", "sec-websocket-protocol": "apex.v1, apex.auth.nope" },
    });
    expect(response.status).toBe(401);
  });

  it("pushes entity changes to a subscribed socket", async () => {
    const { socket, next } = await connect(tenant.accessToken);
    socket.send(JSON.stringify({ type: "subscribe", channels: ["entity:lead"] }));
    await next("subscribed");
    await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "lead", name: "Pushed Pete" }, tenant.auth),
    );
    const frame = await next("event");
    expect(frame).toMatchObject({ channel: "entity:lead", event: "entity.created", data: { name: "Pushed Pete" } });
    socket.close(1000, "done");
  });

  it("resumes from a cursor with the events it missed", async () => {
    const before = await poll("entity:campaign");
    await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "campaign", name: "Missed" }, tenant.auth),
    );
    const { socket, next } = await connect(tenant.accessToken);
    socket.send(JSON.stringify({ type: "subscribe", channels: ["entity:campaign"], cursor: before.cursor }));
    expect(await next("event")).toMatchObject({ event: "entity.created", data: { name: "Missed" } });
    socket.close(1000, "done");
  });

  it("a heavy task's ticket moves queued → processing → completed on a socket subscribed to ticket:{id}", async () => {
    const { id } = await (await request("/api/v1/tasks/entity_export", jsonRequest("POST", {}, tenant.auth))).json<{
      id: string;
    }>();
    const { socket, frames, next } = await connect(tenant.accessToken);
    // cursor 0: whatever happened before the subscription arrives first, in order.
    socket.send(JSON.stringify({ type: "subscribe", channels: [`ticket:${id}`], cursor: 0 }));
    await next("subscribed");
    const events: Record<string, unknown>[] = [];
    while (!events.some((e) => e.event === "ticket.completed")) events.push(await next("event"));
    const kinds = events.map((e) => e.event);
    expect(kinds[0]).toBe("ticket.queued");
    expect(kinds).toContain("ticket.processing");
    expect(events.some((e) => (e.data as { message?: string }).message?.includes("entities read"))).toBe(true);
    const seqs = events.map((e) => e.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(frames.filter((f) => f.type === "event")).toHaveLength(0);
    socket.close(1000, "done");
  });

  it("a client that stops acknowledging is cut off at its window while an acknowledging one keeps receiving", async () => {
    const owner = await signUpTenant("realtime-slow");
    const fast = await connect(owner.accessToken);
    const slow = await connect(owner.accessToken);
    let slowClosed: { code: number; reason: string } | undefined;
    slow.socket.addEventListener("close", (e) => {
      slowClosed = { code: e.code, reason: e.reason };
    });
    for (const client of [fast, slow]) {
      client.socket.send(JSON.stringify({ type: "subscribe", channels: ["lead:*"] }));
      expect((await client.next("subscribed")).windowBytes).toBe(1024 * 1024);
    }
    const tenantObject = env.TENANT.getByName(owner.tenantId);
    const payload = JSON.stringify({ notes: "x".repeat(100 * 1024) });
    const total = 20; // 2 MB: twice the window
    let fastReceived = 0;
    for (let i = 0; i < total; i++) {
      await tenantObject.publish("lead:bulk", "lead.note", payload);
      const frame = await fast.next("event");
      fastReceived += 1;
      fast.socket.send(JSON.stringify({ type: "ack", seq: frame.seq }));
    }
    expect(fastReceived).toBe(total);
    await vi.waitFor(() => expect(slowClosed).toBeDefined(), { timeout: 5_000 });
    expect(slowClosed?.code).toBe(4008);
    expect(slowClosed?.reason).toContain("slow consumer");
    const slowEvents = slow.frames.filter((f) => f.type === "event").length;
    expect(slowEvents).toBeGreaterThanOrEqual(10);
    expect(slowEvents).toBeLessThan(total);
    fast.socket.close(1000, "done");
  });

  it("answers a malformed frame with an error frame instead of dropping the socket", async () => {
    const { socket, next } = await connect(tenant.accessToken);
    socket.send("not json");
    expect(await next("error")).toHaveProperty("detail");
    socket.send(JSON.stringify({ type: "ping" }));
    await next("pong");
    socket.close(1000, "done");
  });
});
