/**
 * #18 item 7, the physical limit: what ONE lead costs from its intake
 * request to the end of its call (the bridge, the whisper, the customer's
 * leg, every Twilio callback, the recording, transcription, analysis and
 * scoring) in Postgres round trips, statements, writes and transactions
 * (counted on the wire at the relay, dev/wire-counts.ts) and Durable Object
 * calls (counted by the Worker, workers/services/bench-counting.ts); and the
 * lead rate the one-insert floor of the same run allows at that cost.
 *
 * It also counts the Worker's invocations per lead: the HTTP requests it
 * answers (the intake, then every webhook Twilio sends during the call) and
 * the queue messages it consumes. Divided into the bare Hono route's floor of
 * the same run, the requests give the lead rate at which the Worker's one
 * thread would be full answering empty requests, before any work is done in
 * them (`wrangler dev` runs one workerd thread; decision 033).
 */
import autocannon from "autocannon";
import type { WireCounts } from "../dev/wire-counts.ts";
import { bridgeProject } from "./intake.ts";

export interface LeadCost extends WireCounts {
  objectCalls: number;
  /** HTTP requests the Worker answered for the lead: its intake and Twilio's webhooks. */
  requests?: number;
  /** Queue messages the Worker consumed for the lead (follow-ups, recording, transcription, analysis, scoring). */
  queueMessages?: number;
  /** The bare Hono route's floor measured just before (GET /api/ping), requests a second. */
  bareRouteFloorPerSecond?: number;
  /** bare floor ÷ requests per lead: the lead rate at which empty requests alone fill the Worker's thread. */
  leadsPerSecondTheBareFloorAllows?: number;
  /** Lead request sent → no more Postgres or object traffic for the quiet period. */
  settledMs: number;
  /** The floor measured just before: one insert in a tenant transaction a request, requests a second. */
  insertFloorPerSecond: number;
  /** floor ÷ write transactions per lead: leads a second the floor allows. */
  leadsPerSecondAllowed: number;
}

interface CostOptions {
  baseUrl: string;
  twilioSimulatorUrl: string;
  postgresCounts(): WireCounts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const QUIET_MS = 4_000;

interface WorkerCounts {
  objectCalls: number;
  requests: number;
  queueMessages: number;
}

/** What the Worker has counted since it started (bench routes only): object calls, requests, queue messages. */
export async function workerCounts(baseUrl: string): Promise<WorkerCounts> {
  const response = await fetch(`${baseUrl}/api/_bench/object-calls`);
  if (!response.ok) throw new Error(`object-calls: ${response.status} (is BENCH_ROUTES on?)`);
  return (await response.json()) as WorkerCounts;
}

/** Durable Object calls the Worker has made since it started (bench routes only). */
export async function objectCalls(baseUrl: string): Promise<number> {
  return (await workerCounts(baseUrl)).objectCalls;
}

/** Waits until neither counter has moved for QUIET_MS (at most `limitMs`); the last readings. */
async function untilQuiet(options: CostOptions, limitMs: number) {
  const started = Date.now();
  let last = { pg: options.postgresCounts(), worker: await workerCounts(options.baseUrl) };
  let still = Date.now();
  while (Date.now() - started < limitMs) {
    await sleep(500);
    // The counter route is itself a request but makes no object call and no query.
    const now = { pg: options.postgresCounts(), worker: await workerCounts(options.baseUrl) };
    const moved = (key: keyof WorkerCounts) => now.worker[key] !== last.worker[key];
    if (
      now.pg.roundTrips !== last.pg.roundTrips ||
      moved("objectCalls") ||
      moved("requests") ||
      moved("queueMessages")
    ) {
      still = Date.now();
    }
    last = now;
    if (Date.now() - still >= QUIET_MS) break;
  }
  return { ...last, at: still };
}

export async function measureLeadCost(options: CostOptions): Promise<LeadCost> {
  const floorRequest = {
    url: `${options.baseUrl}/api/_bench/postgres-insert`,
    method: "POST" as const,
    connections: 10,
  };
  await autocannon({ ...floorRequest, duration: 2 }); // warm-up, as the load section does
  const floor = await autocannon({ ...floorRequest, duration: 10 });
  const insertFloorPerSecond = Math.round(floor.requests.average);
  const bareRequest = { url: `${options.baseUrl}/api/ping`, method: "GET" as const, connections: 10 };
  await autocannon({ ...bareRequest, duration: 2 });
  const bareRouteFloorPerSecond = Math.round((await autocannon({ ...bareRequest, duration: 10 })).requests.average);
  const { owner, formToken } = await bridgeProject(options);
  const before = await untilQuiet(options, 60_000);
  const sentAt = Date.now();
  const response = await fetch(`${options.baseUrl}/webhooks/leads/form?project=${owner.projectId}&token=${formToken}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "Cost lead", phone: "+15550001234", message: "Water heater leaking" }),
  });
  if (response.status !== 200) throw new Error(`lead cost: the intake answered ${response.status}`);
  await response.arrayBuffer();
  await sleep(2_000);
  const after = await untilQuiet(options, 90_000);
  const delta = (key: keyof WireCounts) => after.pg[key] - before.pg[key];
  const writeTransactions = delta("writeTransactions");
  const requests = after.worker.requests - before.worker.requests;
  return {
    roundTrips: delta("roundTrips"),
    statements: delta("statements"),
    writes: delta("writes"),
    transactions: delta("transactions"),
    writeTransactions,
    objectCalls: after.worker.objectCalls - before.worker.objectCalls,
    requests,
    queueMessages: after.worker.queueMessages - before.worker.queueMessages,
    bareRouteFloorPerSecond,
    leadsPerSecondTheBareFloorAllows: requests > 0 ? Number((bareRouteFloorPerSecond / requests).toFixed(1)) : 0,
    settledMs: after.at - sentAt,
    insertFloorPerSecond,
    leadsPerSecondAllowed: writeTransactions > 0 ? Number((insertFloorPerSecond / writeTransactions).toFixed(2)) : 0,
  };
}

/** The per-lead cost lines for bench/results/latest.md. */
export function leadCostMarkdown(cost: LeadCost): string[] {
  return [
    "",
    "What one lead costs, from its intake request until its call, recording, transcription, analysis and scoring",
    "are done (no other traffic): Postgres as counted on the wire at the relay, Durable Object calls as counted",
    "by the Worker.",
    "",
    "| Postgres round trips | statements | writes | transactions | of them writing | object calls | settled after ms | one-insert floor /s | leads/s the floor allows |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    `| ${cost.roundTrips} | ${cost.statements} | ${cost.writes} | ${cost.transactions} | ${cost.writeTransactions} | ${cost.objectCalls} | ${cost.settledMs} | ${cost.insertFloorPerSecond} | ${cost.leadsPerSecondAllowed} |`,
    "",
    `The floor is one insert in one tenant transaction per request; a lead needs ${cost.writeTransactions} writing`,
    `transactions, so at the floor's rate this stack can carry about ${cost.leadsPerSecondAllowed} leads a second through their whole life.`,
    ...(cost.requests !== undefined && cost.bareRouteFloorPerSecond !== undefined
      ? [
          "",
          "The Worker's invocations for that lead, and what the bare Hono route's floor of the same run allows:",
          "",
          "| requests answered | of them Twilio's webhooks | queue messages | bare route floor /s | leads/s at which empty requests fill the thread |",
          "| ---: | ---: | ---: | ---: | ---: |",
          `| ${cost.requests} | ${Math.max(0, cost.requests - 1)} | ${cost.queueMessages ?? "—"} | ${cost.bareRouteFloorPerSecond} | ${cost.leadsPerSecondTheBareFloorAllows} |`,
          "",
          `Twilio calls the Worker back for every step of the call (status changes, the whisper, the owner's digit, the`,
          `customer's leg, the recording). \`wrangler dev\` answers every request on one workerd thread, which answers`,
          `about ${cost.bareRouteFloorPerSecond} empty requests a second here; at ${cost.requests} requests a lead it is full at`,
          `${cost.leadsPerSecondTheBareFloorAllows} leads a second before any of the work inside them (decision 033).`,
        ]
      : []),
  ];
}
