/**
 * WebSocket fan-out: N sockets of one tenant subscribe to `entity:lead`; leads
 * are created one at a time through the API, and each socket's receipt is
 * timed from the moment the create request was sent. Every socket acks what
 * it receives as the UI does (app/lib/live.tsx, decision 007): cumulatively,
 * once a quarter of the window is unacknowledged or after a quiet spell of
 * 2–4 s (2 s plus a random part) with no new event. Acks sent are counted,
 * since each one wakes the tenant object.
 *
 * The 1,000 sockets run in this process on the same cores as the stack, so
 * a delivery's time is split where it can be measured: before the tenant
 * object's send loop began (the create request, and whatever the object was
 * still doing), the loop itself, and after it (workerd delivering the frames
 * and this process receiving them). The loop's start and length come from
 * the object (GET /api/_bench/fan-out, bench only); both clocks are the
 * machine's wall clock, read to the millisecond.
 */
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

/** Milliseconds, averaged over the slowest 1 % of deliveries. */
export interface FanoutSplit {
  beforeLoopMs: number;
  loopMs: number;
  afterLoopMs: number;
}

export interface FanoutResult {
  sockets: number;
  events: number;
  deliveries: number;
  missing: number;
  /** Sockets the server closed before the run ended (each close code counted); their missing events are losses. */
  closedEarly?: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The object's send loop per event, over the events delivered here. */
  loop?: { p50Ms: number; p99Ms: number };
  /** Where the slowest 1 % spent their time; absent when the object's timings could not be read. */
  slowest?: FanoutSplit;
  /** Acks the sockets sent, per event delivered to one socket (1 would be an ack for every event). */
  acksPerDelivery?: number;
  /** This process while deliveries arrived: CPU per event and how busy its event loop was (0–1). */
  client?: { cpuMsPerEvent: number; eventLoopUtilization: number };
}

/** What the tenant object reports per fan-out (durable-objects/capabilities/sockets.ts, FanOutTiming). */
interface ServerTiming {
  seq: number;
  sent: number;
  startedAt: number;
  loopMs: number;
}

interface Delivery {
  seq: number;
  /** Wall-clock ms: when the create was sent and when this socket had the frame. */
  sentAt: number;
  arrivedAt: number;
}

const wallClock = () => performance.timeOrigin + performance.now();

/** The UI's ack rule (app/lib/live.tsx); a .tsx module cannot be imported here, so it is restated. */
const ACK_QUIET_MS = 2_000;
const ACK_QUIET_JITTER_MS = 2_000;
const ACK_AT_WINDOW_FRACTION = 1 / 4;
const round = (ms: number) => Math.round(ms * 10) / 10;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function average(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length;
}

async function openSocket(
  url: string,
  token: string,
  onEvent: (name: string, seq: number) => void,
  onClose: (code: number) => void,
  onAck: () => void,
): Promise<WebSocket> {
  const socket = new WebSocket(url, ["apex.v1", `apex.auth.${token}`]);
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
    onAck();
  };
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("message", (raw) => {
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
        onEvent(frame.data?.name ?? "", frame.seq);
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
      onClose(code);
    });
    socket.once("open", () => socket.send(JSON.stringify({ type: "subscribe", channels: ["entity:lead"] })));
  });
  return socket;
}

/** The object's recent send loops, or undefined where the bench route is absent (then no split is made). */
async function serverTimings(baseUrl: string, accessToken: string): Promise<Map<number, ServerTiming> | undefined> {
  const response = await fetch(`${baseUrl}/api/_bench/fan-out`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    return undefined;
  }
  const { fanOuts } = (await response.json()) as { fanOuts: ServerTiming[] };
  return new Map(fanOuts.map((t) => [t.seq, t]));
}

/** Averages the slowest 1 % of deliveries' split; each is placed against its event's send loop. */
function splitOfSlowest(deliveries: Delivery[], timings: Map<number, ServerTiming>): FanoutSplit | undefined {
  const slowest = [...deliveries]
    .sort((a, b) => b.arrivedAt - b.sentAt - (a.arrivedAt - a.sentAt))
    .slice(0, Math.max(1, Math.ceil(deliveries.length / 100)));
  const parts = slowest.flatMap((d) => {
    const loop = timings.get(d.seq);
    if (!loop) return [];
    const loopEnd = loop.startedAt + loop.loopMs;
    return [{ before: loop.startedAt - d.sentAt, loop: loop.loopMs, after: d.arrivedAt - loopEnd }];
  });
  if (parts.length === 0) return undefined;
  return {
    beforeLoopMs: round(average(parts.map((p) => p.before))),
    loopMs: round(average(parts.map((p) => p.loop))),
    afterLoopMs: round(average(parts.map((p) => p.after))),
  };
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
  const deliveries: Delivery[] = [];
  const closedEarly: Record<string, number> = {};
  let running = true;
  let acks = 0;
  const onAck = () => {
    if (running) acks += 1;
  };
  let wake: (() => void) | undefined;
  const onEvent = (name: string, seq: number) => {
    const start = sentAt.get(name);
    if (start === undefined) return;
    deliveries.push({ seq, sentAt: start, arrivedAt: wallClock() });
    if (deliveries.length % options.sockets === 0) wake?.();
  };
  const onClose = (code: number) => {
    if (running) closedEarly[code] = (closedEarly[code] ?? 0) + 1;
  };

  const sockets: WebSocket[] = [];
  for (let i = 0; i < options.sockets; i += 50) {
    const batch = Math.min(50, options.sockets - i);
    sockets.push(
      ...(await Promise.all(
        Array.from({ length: batch }, () => openSocket(wsUrl, options.accessToken, onEvent, onClose, onAck)),
      )),
    );
  }

  const headers = { authorization: `Bearer ${options.accessToken}`, "content-type": "application/json" };
  let cpuMs = 0;
  let busyMs = 0;
  let windowMs = 0;
  try {
    for (let n = 0; n < options.events; n++) {
      const name = `fanout-${options.sockets}-${n}-${Date.now()}`;
      const target = deliveries.length + options.sockets;
      const allArrived = new Promise<void>((resolve) => {
        wake = () => {
          if (deliveries.length >= target) resolve();
        };
        setTimeout(resolve, 10_000);
      });
      const elu = performance.eventLoopUtilization();
      const cpu = process.cpuUsage();
      sentAt.set(name, wallClock());
      const response = await fetch(`${options.baseUrl}/api/v1/entities`, {
        method: "POST",
        headers,
        body: JSON.stringify({ projectId: options.projectId, type: "lead", name }),
      });
      if (response.status !== 201) throw new Error(`fan-out create failed: ${response.status}`);
      await response.body?.cancel();
      await allArrived;
      const used = process.cpuUsage(cpu);
      const window = performance.eventLoopUtilization(elu);
      cpuMs += (used.user + used.system) / 1000;
      busyMs += window.active;
      windowMs += window.active + window.idle;
    }
  } finally {
    running = false;
    for (const socket of sockets) socket.close(1000, "bench done");
  }
  const latencies = deliveries.map((d) => d.arrivedAt - d.sentAt).sort((a, b) => a - b);
  const timings = await serverTimings(options.baseUrl, options.accessToken);
  const loops = timings
    ? [...new Set(deliveries.map((d) => d.seq))].flatMap((seq) => timings.get(seq)?.loopMs ?? []).sort((a, b) => a - b)
    : [];
  const slowest = timings ? splitOfSlowest(deliveries, timings) : undefined;
  return {
    sockets: options.sockets,
    events: options.events,
    deliveries: latencies.length,
    missing: options.sockets * options.events - latencies.length,
    ...(Object.keys(closedEarly).length > 0 ? { closedEarly } : {}),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies[latencies.length - 1] ?? Number.NaN),
    ...(loops.length > 0 ? { loop: { p50Ms: round(percentile(loops, 50)), p99Ms: round(percentile(loops, 99)) } } : {}),
    ...(slowest ? { slowest } : {}),
    ...(latencies.length > 0 ? { acksPerDelivery: Math.round((acks / latencies.length) * 100) / 100 } : {}),
    client: {
      cpuMsPerEvent: round(cpuMs / options.events),
      eventLoopUtilization: windowMs > 0 ? Math.round((busyMs / windowMs) * 100) / 100 : 0,
    },
  };
}
