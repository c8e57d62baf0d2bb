/**
 * WebSocket fan-out: N sockets of one tenant subscribe to `entity:lead`; leads
 * are created one at a time through the API, and each socket's receipt is
 * timed from the moment the create request was sent. Every socket acks what
 * it receives (docs/decisions/007), as the UI does.
 */
import WebSocket from "ws";

export interface FanoutResult {
  sockets: number;
  events: number;
  deliveries: number;
  missing: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function openSocket(url: string, token: string, onEvent: (name: string) => void): Promise<WebSocket> {
  const socket = new WebSocket(url, ["apex.v1", `apex.auth.${token}`]);
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("message", (raw) => {
      const frame = JSON.parse(String(raw)) as { type: string; seq?: number; data?: { name?: string } };
      if (frame.type === "subscribed") resolve();
      if (frame.type === "event") {
        onEvent(frame.data?.name ?? "");
        socket.send(JSON.stringify({ type: "ack", seq: frame.seq }));
      }
    });
    socket.once("open", () => socket.send(JSON.stringify({ type: "subscribe", channels: ["entity:lead"] })));
  });
  return socket;
}

export async function measureFanout(options: {
  baseUrl: string;
  accessToken: string;
  projectId: string;
  sockets: number;
  events: number;
}): Promise<FanoutResult> {
  const wsUrl = `${options.baseUrl.replace(/^http/, "ws")}/api/v1/realtime`;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  let wake: (() => void) | undefined;
  const onEvent = (name: string) => {
    const start = sentAt.get(name);
    if (start === undefined) return;
    latencies.push(performance.now() - start);
    received += 1;
    if (received % options.sockets === 0) wake?.();
  };

  const sockets: WebSocket[] = [];
  for (let i = 0; i < options.sockets; i += 50) {
    const batch = Math.min(50, options.sockets - i);
    sockets.push(
      ...(await Promise.all(Array.from({ length: batch }, () => openSocket(wsUrl, options.accessToken, onEvent)))),
    );
  }

  const headers = { authorization: `Bearer ${options.accessToken}`, "content-type": "application/json" };
  try {
    for (let n = 0; n < options.events; n++) {
      const name = `fanout-${options.sockets}-${n}-${Date.now()}`;
      const target = received + options.sockets;
      const allArrived = new Promise<void>((resolve) => {
        wake = () => {
          if (received >= target) resolve();
        };
        setTimeout(resolve, 10_000);
      });
      sentAt.set(name, performance.now());
      const response = await fetch(`${options.baseUrl}/api/v1/entities`, {
        method: "POST",
        headers,
        body: JSON.stringify({ projectId: options.projectId, type: "lead", name }),
      });
      if (response.status !== 201) throw new Error(`fan-out create failed: ${response.status}`);
      await allArrived;
    }
  } finally {
    for (const socket of sockets) socket.close(1000, "bench done");
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const expected = options.sockets * options.events;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    sockets: options.sockets,
    events: options.events,
    deliveries: latencies.length,
    missing: expected - latencies.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}
