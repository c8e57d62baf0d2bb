import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { request } from "./helpers";
import { signUpTenant, type TestTenant } from "./tenants";

/**
 * Fan-out builds an event's frame once and sends the same text to every
 * subscribed socket, reading each socket's state from memory rather than
 * re-parsing its attachment (durable-objects/capabilities/sockets.ts).
 * These pin what that must not change: who hears an event, and the window.
 */
let tenant: TestTenant;
beforeAll(async () => {
  tenant = await signUpTenant("fanout");
});

interface Client {
  socket: WebSocket;
  /** Every frame as received, in order, unparsed. */
  raw: string[];
  next(type: string): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
}

async function connect(owner: TestTenant, channels: string[]): Promise<Client> {
  const response = await request("/api/v1/realtime", {
    headers: { upgrade: "websocket", "sec-websocket-protocol": `apex.v1, apex.auth.${owner.accessToken}` },
  });
  expect(response.status).toBe(101);
  const socket = response.webSocket as WebSocket;
  socket.accept();
  const raw: string[] = [];
  let read = 0;
  const waiters: (() => void)[] = [];
  socket.addEventListener("message", (event) => {
    raw.push(event.data as string);
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })),
  );
  const next = async (type: string) => {
    for (;;) {
      while (read < raw.length) {
        const frame = JSON.parse(raw[read++] as string) as Record<string, unknown>;
        if (frame.type === type) return frame;
      }
      await Promise.race([
        new Promise<void>((r) => waiters.push(r)),
        new Promise((_, no) => setTimeout(() => no(new Error(`no ${type} frame`)), 10_000)),
      ]);
    }
  };
  socket.send(JSON.stringify({ type: "subscribe", channels }));
  await next("subscribed");
  return { socket, raw, next, closed };
}

const events = (client: Client) => client.raw.filter((text) => JSON.parse(text).type === "event");

describe("fan-out of one event", () => {
  it("every subscribed socket receives the same frame text", async () => {
    const clients = await Promise.all([1, 2, 3].map(() => connect(tenant, ["lead:*"])));
    await env.TENANT.getByName(tenant.tenantId).publish("lead:same", "lead.note", JSON.stringify({ note: "née ✓" }));
    const frames = await Promise.all(
      clients.map(async (c) => {
        await c.next("event");
        return events(c).at(-1);
      }),
    );
    expect(new Set(frames).size).toBe(1);
    expect(JSON.parse(frames[0] as string)).toMatchObject({ channel: "lead:same", data: { note: "née ✓" } });
    for (const c of clients) c.socket.close(1000, "done");
  });

  it("reaches only the sockets subscribed to its channel", async () => {
    const listening = await connect(tenant, ["lead:heard"]);
    const elsewhere = await connect(tenant, ["lead:other"]);
    await env.TENANT.getByName(tenant.tenantId).publish("lead:heard", "lead.note", "{}");
    await listening.next("event");
    // Frames on a socket arrive in order: a pong after the publish means nothing else is coming.
    elsewhere.socket.send(JSON.stringify({ type: "ping" }));
    await elsewhere.next("pong");
    expect(events(elsewhere)).toHaveLength(0);
    for (const c of [listening, elsewhere]) c.socket.close(1000, "done");
  });

  it("a socket that unsubscribed hears nothing more on that channel", async () => {
    const client = await connect(tenant, ["lead:leaving"]);
    client.socket.send(JSON.stringify({ type: "unsubscribe", channels: ["lead:leaving"] }));
    await client.next("unsubscribed");
    await env.TENANT.getByName(tenant.tenantId).publish("lead:leaving", "lead.note", "{}");
    client.socket.send(JSON.stringify({ type: "ping" }));
    await client.next("pong");
    expect(events(client)).toHaveLength(0);
    client.socket.close(1000, "done");
  });

  it("counts a frame's UTF-8 bytes against the window: a silent client is cut off after 1 MiB of multi-byte text", async () => {
    const owner = await signUpTenant("fanout-window");
    const silent = await connect(owner, ["lead:*"]);
    // 100,000 three-byte characters: about 300 KB a frame, though only 100,000 UTF-16 units.
    const payload = JSON.stringify({ notes: "€".repeat(100_000) });
    const tenantObject = env.TENANT.getByName(owner.tenantId);
    for (let i = 0; i < 8; i++) await tenantObject.publish("lead:bulk", "lead.note", payload);
    let closed: { code: number } | undefined;
    void silent.closed.then((c) => {
      closed = c;
    });
    await vi.waitFor(() => expect(closed?.code).toBe(4008), { timeout: 5_000 });
    // Four frames pass the 1 MiB bound; the fifth send finds the window full.
    await vi.waitFor(() => expect(events(silent)).toHaveLength(4));
  });
});
