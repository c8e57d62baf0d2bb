import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { SocketHub } from "../durable-objects/capabilities/sockets";
import { request } from "./helpers";
import { signUpTenant, type TestTenant } from "./tenants";

/**
 * Acks are cumulative (docs/decisions/007-websocket-flow-control.md, amended
 * 2026-12-06): `{"type":"ack","seq":N}` frees every event sent up to and
 * including N, so a client may ack now and then instead of per event, and
 * the window still cuts off a client that stops acking.
 *
 * Every event here is about 100 KiB, so the 1 MiB window holds ten of them:
 * the server sends while what is unacked is at most 1 MiB, so with k events
 * unacked it sends the next one for k ≤ 10 and closes with 4008 at k = 11.
 */
const payload = JSON.stringify({ notes: "x".repeat(100 * 1024) });

interface Client {
  socket: WebSocket;
  events: { seq: number }[];
  /** Resolves once `count` events have arrived. */
  received(count: number): Promise<void>;
  /** Resolves once the server has handled every frame sent before it (frames are handled in order). */
  settled(): Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
}

async function connect(owner: TestTenant): Promise<Client> {
  const response = await request("/api/v1/realtime", {
    headers: { upgrade: "websocket", "sec-websocket-protocol": `apex.v1, apex.auth.${owner.accessToken}` },
  });
  expect(response.status).toBe(101);
  const socket = response.webSocket as WebSocket;
  socket.accept();
  const events: { seq: number }[] = [];
  const frames: string[] = [];
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data as string) as { type: string; seq: number };
    frames.push(frame.type);
    if (frame.type === "event") events.push(frame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })),
  );
  const received = (count: number) => vi.waitFor(() => expect(events.length).toBeGreaterThanOrEqual(count));
  const settled = async () => {
    const pongs = frames.filter((type) => type === "pong").length;
    socket.send(JSON.stringify({ type: "ping" }));
    await vi.waitFor(() => expect(frames.filter((type) => type === "pong").length).toBe(pongs + 1));
  };
  socket.send(JSON.stringify({ type: "subscribe", channels: ["lead:*"] }));
  await vi.waitFor(() => expect(frames).toContain("subscribed"));
  return { socket, events, received, settled, closed };
}

const ack = (client: Client, seq: number) => client.socket.send(JSON.stringify({ type: "ack", seq }));
const seqOf = (client: Client, index: number) => (client.events[index] as { seq: number }).seq;

async function publish(owner: TestTenant, count: number): Promise<void> {
  const tenantObject = env.TENANT.getByName(owner.tenantId);
  for (let i = 0; i < count; i++) await tenantObject.publish("lead:bulk", "lead.note", payload);
}

/** How many events the client held when the server closed it, and the close code. */
async function cutOff(client: Client): Promise<{ events: number; code: number }> {
  const { code } = await client.closed;
  return { events: client.events.length, code };
}

describe("cumulative acknowledgements", () => {
  it("an ack of seq N frees every event up to N and none after it", async () => {
    const owner = await signUpTenant("acks-up-to-n");
    const client = await connect(owner);
    await publish(owner, 5);
    await client.received(5);
    ack(client, seqOf(client, 2));
    await client.settled();
    await publish(owner, 12);
    // Events 4 and 5 stay unacked, so nine more fit: freeing none would allow six, freeing all eleven.
    expect(await cutOff(client)).toEqual({ events: 14, code: 4008 });
  });

  it("a client that acks only every fourth event, four events behind, is never cut off within the window", async () => {
    const owner = await signUpTenant("acks-coalesced");
    const client = await connect(owner);
    const total = 40; // about 4 MiB: four windows' worth
    for (let sent = 4; sent <= total; sent += 4) {
      await publish(owner, 4);
      await client.received(sent);
      // At most eight events (about 800 KiB) are ever unacked; none of these acks names the newest event sent.
      if (sent > 4) ack(client, seqOf(client, sent - 5));
      await client.settled();
    }
    expect(client.events).toHaveLength(total);
    await client.settled(); // still open: a closed socket would never answer the ping
    client.socket.close(1000, "done");
  });

  it("a client that stops acking is closed with 4008 once a window past its last ack", async () => {
    const owner = await signUpTenant("acks-stopped");
    const client = await connect(owner);
    await publish(owner, 5);
    await client.received(5);
    for (let i = 0; i < 5; i++) ack(client, seqOf(client, i)); // the per-event shape, then silence
    await client.settled();
    await publish(owner, 15);
    const closed = await client.closed;
    expect(closed.code).toBe(4008);
    expect(closed.reason).toContain("slow consumer");
    expect(client.events).toHaveLength(5 + 11);
  });
});

/**
 * Which events an ack frees is kept in the object's memory; hibernation
 * loses it and leaves the attachment's totals. A hub built again over the
 * same sockets is what the object is after it wakes.
 */
describe("cumulative acknowledgements after hibernation", () => {
  class HeldSocket {
    attachment: unknown = { role: "member", channels: ["lead:*"], lastSentSeq: 0, unackedBytes: 0 };
    sent = 0;
    closedWith: number | undefined;
    serializeAttachment(value: unknown) {
      this.attachment = structuredClone(value);
    }
    deserializeAttachment() {
      return structuredClone(this.attachment);
    }
    send() {
      this.sent += 1;
    }
    close(code: number) {
      this.closedWith ??= code;
    }
  }

  const hubOver = (socket: HeldSocket) =>
    new SocketHub({
      accept: () => {},
      sockets: () => (socket.closedWith === undefined ? [socket as unknown as WebSocket] : []),
      backlog: () => ({ events: [], latest: 0, gap: false }),
    });
  const pushAll = (hub: SocketHub, from: number, count: number) => {
    for (let seq = from; seq < from + count; seq++) {
      hub.push({ seq, channel: "lead:bulk", type: "lead.note", dataJson: payload, at: new Date(0).toISOString() });
    }
  };
  const ackOn = (hub: SocketHub, socket: HeldSocket, seq: number) =>
    hub.message(socket as unknown as WebSocket, JSON.stringify({ type: "ack", seq }));

  it("after a wake, an ack of an event before the newest frees nothing, since which bytes were whose is gone", async () => {
    const socket = new HeldSocket();
    pushAll(hubOver(socket), 1, 5);
    const woken = hubOver(socket);
    ackOn(woken, socket, 3);
    pushAll(woken, 6, 10);
    expect({ sent: socket.sent, closedWith: socket.closedWith }).toEqual({ sent: 5 + 6, closedWith: 4008 });
  });

  it("after a wake, an ack of the newest event sent still empties the window", async () => {
    const socket = new HeldSocket();
    pushAll(hubOver(socket), 1, 5);
    const woken = hubOver(socket);
    ackOn(woken, socket, 5);
    pushAll(woken, 6, 12);
    expect({ sent: socket.sent, closedWith: socket.closedWith }).toEqual({ sent: 5 + 11, closedWith: 4008 });
  });
});
