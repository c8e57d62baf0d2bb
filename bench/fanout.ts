/**
 * WebSocket fan-out: N sockets of one tenant subscribe to `entity:lead`; leads
 * are created one at a time through the API, and each socket's receipt is
 * timed from the moment the create request was sent. Every socket acks what
 * it receives as the UI does (app/lib/live.tsx, decision 007): cumulatively,
 * once a quarter of the window is unacknowledged or after a quiet spell of
 * 2–4 s (2 s plus a random part) with no new event. Acks sent are counted,
 * since each one wakes the tenant object.
 *
 * The sockets run in worker threads (bench/fanout-clients.ts; 2 by default,
 * BENCH_FANOUT_THREADS, never more than there are sockets), each stamping a
 * frame's arrival the moment its own event loop has it. Browsers do not share
 * one event loop; in this process's main loop, which also runs the Postgres
 * relay and any embedded Postgres (PGlite) and sends the creates, the 1,000
 * clients' frames queued one behind another and the last of them waited on
 * the bench rather than on the server. The threads still share the machine's
 * cores with workerd, so a delivery's time is split where it can be measured:
 * before the tenant object's send loop began (the create request, and
 * whatever the object was still doing), the loop itself, and after it
 * (workerd delivering the frames and the client threads receiving them). The
 * loop's start and length come from the object (GET /api/_bench/fan-out,
 * bench only); both clocks are the machine's wall clock, read to the
 * millisecond.
 */
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import type { ClientDelivery, ClientsInput, FromClients, ToClients } from "./fanout-clients.ts";

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
  /**
   * This process while deliveries arrived (from each create request sent until
   * every socket had its event). CPU per event is the whole process's, every
   * thread's (process.cpuUsage), so it counts the client threads with the
   * relay and any embedded Postgres. eventLoopUtilization is the busiest of
   * its event loops (0–1); the main loop's and each client thread's follow
   * where the clients ran in threads.
   */
  client?: {
    cpuMsPerEvent: number;
    eventLoopUtilization: number;
    mainEventLoopUtilization?: number;
    threadEventLoopUtilization?: number[];
  };
  /** Worker threads the sockets were spread over (absent: they ran on the main thread). */
  clientThreads?: number;
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

/** How long to wait for every socket to have an event before creating the next one anyway. */
const ARRIVAL_WAIT_MS = 10_000;
/** How long to wait for a client thread to close its sockets and hand over its deliveries. */
const STOP_WAIT_MS = 15_000;
const round = (ms: number) => Math.round(ms * 10) / 10;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function average(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length;
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

type ClientsDone = Extract<FromClients, { type: "done" }>;

/** One worker thread of clients (bench/fanout-clients.ts), as the main thread drives it. */
interface ClientThread {
  worker: Worker;
  /** Settles once every socket of the thread is subscribed, or the thread failed. */
  ready: Promise<void>;
  /** Settles with the thread's deliveries once it has closed its sockets after "stop". */
  done: Promise<ClientsDone>;
}

function startClientThread(
  input: ClientsInput,
  onArrived: (name: string) => void,
  onLost: (error: Error) => void,
): ClientThread {
  const worker = new Worker(new URL("./fanout-clients.ts", import.meta.url), { workerData: input });
  let readyResolve = () => {};
  let readyReject = (_error: Error) => {};
  let doneResolve = (_done: ClientsDone) => {};
  let doneReject = (_error: Error) => {};
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  const done = new Promise<ClientsDone>((resolve, reject) => {
    doneResolve = resolve;
    doneReject = reject;
  });
  // Whoever awaits these sees the failure; nobody else should be told of it as unhandled.
  ready.catch(() => {});
  done.catch(() => {});
  let finished = false;
  const lose = (error: Error) => {
    readyReject(error);
    doneReject(error);
    if (!finished) onLost(error);
  };
  worker.on("message", (message: FromClients) => {
    if (message.type === "ready") readyResolve();
    else if (message.type === "arrived") onArrived(message.name);
    else if (message.type === "failed") lose(new Error(`fan-out client thread: ${message.message}`));
    else if (message.type === "done") {
      finished = true;
      doneResolve(message);
    }
  });
  worker.on("error", (error) => lose(error instanceof Error ? error : new Error(String(error))));
  worker.on("exit", (code) => lose(new Error(`fan-out client thread exited with code ${code}`)));
  return { worker, ready, done };
}

/** Asks a thread to close its sockets and hand over its deliveries, then ends it whatever happened. */
async function stopClientThread(thread: ClientThread): Promise<ClientsDone | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    thread.worker.postMessage({ type: "stop" } satisfies ToClients);
    return await Promise.race([
      thread.done,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), STOP_WAIT_MS))),
    ]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    await thread.worker.terminate();
  }
}

/** Busy time over the measured windows, per event loop. */
class LoopBusy {
  busyMs = 0;
  windowMs = 0;
  add(window: { active: number; idle: number }): void {
    this.busyMs += window.active;
    this.windowMs += window.active + window.idle;
  }
  get utilization(): number {
    return this.windowMs > 0 ? Math.round((this.busyMs / this.windowMs) * 100) / 100 : 0;
  }
}

export async function measureFanout(options: {
  baseUrl: string;
  accessToken: string;
  projectId: string;
  sockets: number;
  events: number;
}): Promise<FanoutResult> {
  const wsUrl = `${options.baseUrl.replace(/^http/, "ws")}/api/v1/realtime`;
  const threadCount = Math.max(1, Math.min(options.sockets, Number(process.env.BENCH_FANOUT_THREADS) || 2));
  const shares = Array.from(
    { length: threadCount },
    (_, i) => Math.floor(options.sockets / threadCount) + (i < options.sockets % threadCount ? 1 : 0),
  );
  const sentAt = new Map<string, number>();
  /** Per event name, the threads all of whose sockets have it. */
  const threadsArrived = new Map<string, number>();
  let wake: (() => void) | undefined;
  let fail: ((error: Error) => void) | undefined;
  const onArrived = (name: string) => {
    threadsArrived.set(name, (threadsArrived.get(name) ?? 0) + 1);
    wake?.();
  };
  const onLost = (error: Error) => fail?.(error);

  const threads: ClientThread[] = [];
  const headers = { authorization: `Bearer ${options.accessToken}`, "content-type": "application/json" };
  let cpuMs = 0;
  const mainLoop = new LoopBusy();
  const threadLoops = shares.map(() => new LoopBusy());
  let stopped: Array<ClientsDone | undefined> = [];
  try {
    // One thread after another, each opening 50 sockets at a time, so no more are opening at once than before.
    for (const share of shares) {
      const thread = startClientThread({ url: wsUrl, token: options.accessToken, sockets: share }, onArrived, onLost);
      threads.push(thread);
      await thread.ready;
    }

    for (let n = 0; n < options.events; n++) {
      const name = `fanout-${options.sockets}-${n}-${Date.now()}`;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const allArrived = new Promise<void>((resolve, reject) => {
        wake = () => {
          if ((threadsArrived.get(name) ?? 0) >= threads.length) resolve();
        };
        fail = reject;
        timer = setTimeout(resolve, ARRIVAL_WAIT_MS);
      });
      // A thread lost during the create request is reported when the wait is reached, not as unhandled.
      allArrived.catch(() => {});
      const elu = performance.eventLoopUtilization();
      const threadElu = threads.map((t) => t.worker.performance.eventLoopUtilization());
      const cpu = process.cpuUsage();
      sentAt.set(name, wallClock());
      try {
        const response = await fetch(`${options.baseUrl}/api/v1/entities`, {
          method: "POST",
          headers,
          body: JSON.stringify({ projectId: options.projectId, type: "lead", name }),
        });
        if (response.status !== 201) throw new Error(`fan-out create failed: ${response.status}`);
        await response.body?.cancel();
        await allArrived;
      } finally {
        clearTimeout(timer);
        wake = undefined;
        fail = undefined;
      }
      const used = process.cpuUsage(cpu);
      cpuMs += (used.user + used.system) / 1000;
      mainLoop.add(performance.eventLoopUtilization(elu));
      for (const [i, t] of threads.entries()) {
        threadLoops[i]?.add(t.worker.performance.eventLoopUtilization(threadElu[i]));
      }
    }
  } finally {
    stopped = await Promise.all(threads.map(stopClientThread));
  }
  if (stopped.some((done) => done === undefined)) {
    throw new Error("a fan-out client thread did not hand over its deliveries");
  }

  const deliveries: Delivery[] = [];
  const closedEarly: Record<string, number> = {};
  let acks = 0;
  for (const done of stopped as ClientsDone[]) {
    acks += done.acks;
    for (const [code, count] of Object.entries(done.closedEarly)) closedEarly[code] = (closedEarly[code] ?? 0) + count;
    for (const d of done.deliveries as ClientDelivery[]) {
      const start = sentAt.get(d.name);
      if (start !== undefined) deliveries.push({ seq: d.seq, sentAt: start, arrivedAt: d.arrivedAt });
    }
  }
  const latencies = deliveries.map((d) => d.arrivedAt - d.sentAt).sort((a, b) => a - b);
  const timings = await serverTimings(options.baseUrl, options.accessToken);
  const loops = timings
    ? [...new Set(deliveries.map((d) => d.seq))].flatMap((seq) => timings.get(seq)?.loopMs ?? []).sort((a, b) => a - b)
    : [];
  const slowest = timings ? splitOfSlowest(deliveries, timings) : undefined;
  const threadUtilization = threadLoops.map((l) => l.utilization);
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
      eventLoopUtilization: Math.max(mainLoop.utilization, ...threadUtilization),
      mainEventLoopUtilization: mainLoop.utilization,
      threadEventLoopUtilization: threadUtilization,
    },
    clientThreads: threads.length,
  };
}
