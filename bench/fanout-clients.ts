/**
 * A worker thread of the fan-out bench (bench/fanout.ts): opens its share of
 * the WebSocket clients, 50 at a time, subscribes each to `entity:lead`, and
 * acks what they receive as the UI does. Each frame's arrival is stamped here,
 * the moment this thread's event loop has it, on the wall clock the main
 * thread stamps each create request with, so a message's trip to the main
 * thread never enters a measured latency.
 *
 * To the main thread it posts: "ready" once every socket is subscribed,
 * "arrived" once every socket has one event (one small message per event,
 * which lets the main thread send the next create), and on "stop" closes its
 * sockets and posts "done" with every delivery, the acks and early closes.
 */
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";
import { ACK_AT_WINDOW_FRACTION, ACK_QUIET_JITTER_MS, ACK_QUIET_MS } from "../app/lib/live-acks.ts";

export interface ClientsInput {
  url: string;
  token: string;
  sockets: number;
}

export interface ClientDelivery {
  name: string;
  seq: number;
  /** Wall-clock ms when this thread had the frame. */
  arrivedAt: number;
}

export type FromClients =
  | { type: "ready" }
  | { type: "failed"; message: string }
  | { type: "arrived"; name: string }
  | { type: "done"; deliveries: ClientDelivery[]; acks: number; closedEarly: Record<string, number> };

export type ToClients = { type: "stop" };

const OPEN_BATCH = 50;
const CLOSE_WAIT_MS = 5_000;

const port = parentPort;
if (!port) throw new Error("bench/fanout-clients.ts runs as a worker thread of bench/fanout.ts");
const input = workerData as ClientsInput;
const post = (message: FromClients) => port.postMessage(message);
/**
 * The main thread's clock: a worker shares the process's time origin, and its
 * performance.now() runs on the same clock (process.hrtime does not quite).
 */
const wallClock = () => performance.timeOrigin + performance.now();

const deliveries: ClientDelivery[] = [];
const received = new Map<string, number>();
const closedEarly: Record<string, number> = {};
let running = true;
let acks = 0;

function onEvent(name: string, seq: number, arrivedAt: number): void {
  deliveries.push({ name, seq, arrivedAt });
  const count = (received.get(name) ?? 0) + 1;
  received.set(name, count);
  if (count === input.sockets) post({ type: "arrived", name });
}

async function openSocket(): Promise<WebSocket> {
  const socket = new WebSocket(input.url, ["apex.v1", `apex.auth.${input.token}`]);
  let unackedSeq: number | undefined;
  let unackedBytes = 0;
  let windowBytes = Number.POSITIVE_INFINITY;
  let ackTimer: ReturnType<typeof setTimeout> | undefined;
  const ack = () => {
    clearTimeout(ackTimer);
    if (unackedSeq === undefined || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "ack", seq: unackedSeq }));
    unackedSeq = undefined;
    unackedBytes = 0;
    if (running) acks += 1;
  };
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("message", (raw) => {
      const arrivedAt = wallClock();
      const text = String(raw);
      const frame = JSON.parse(text) as {
        type: string;
        seq?: number;
        windowBytes?: number;
        data?: { name?: string };
      };
      if (frame.type === "subscribed") {
        if (frame.windowBytes) windowBytes = frame.windowBytes;
        resolve();
      }
      if (frame.type === "event" && frame.seq !== undefined) {
        onEvent(frame.data?.name ?? "", frame.seq, arrivedAt);
        // The frame's bytes as received are its UTF-8 bytes, which is what the server counts.
        unackedSeq = Math.max(frame.seq, unackedSeq ?? frame.seq);
        unackedBytes += Buffer.isBuffer(raw) ? raw.byteLength : Buffer.byteLength(text);
        clearTimeout(ackTimer);
        if (unackedBytes >= windowBytes * ACK_AT_WINDOW_FRACTION) ack();
        else ackTimer = setTimeout(ack, ACK_QUIET_MS + Math.random() * ACK_QUIET_JITTER_MS);
      }
    });
    socket.on("close", (code: number) => {
      clearTimeout(ackTimer);
      if (running) closedEarly[code] = (closedEarly[code] ?? 0) + 1;
    });
    socket.once("open", () => socket.send(JSON.stringify({ type: "subscribe", channels: ["entity:lead"] })));
  });
  return socket;
}

const sockets: WebSocket[] = [];

/** Closes every socket, waiting a while for the close handshakes so the server sees clean closes. */
async function closeAll(): Promise<void> {
  const open = sockets.filter((s) => s.readyState !== WebSocket.CLOSED);
  const closed = Promise.all(open.map((s) => new Promise<void>((resolve) => s.once("close", () => resolve()))));
  for (const socket of open) socket.close(1000, "bench done");
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
  clearTimeout(timer);
  for (const socket of open) if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
}

port.on("message", (message: ToClients) => {
  if (message.type !== "stop") return;
  running = false;
  void closeAll().then(() => post({ type: "done", deliveries, acks, closedEarly }));
});

try {
  for (let i = 0; i < input.sockets; i += OPEN_BATCH) {
    const batch = Math.min(OPEN_BATCH, input.sockets - i);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, () => openSocket()))));
  }
  post({ type: "ready" });
} catch (error) {
  post({ type: "failed", message: error instanceof Error ? error.message : String(error) });
}
