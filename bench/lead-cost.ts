/**
 * #18 item 7, the physical limit: what ONE lead costs from its intake
 * request to the end of its call (the bridge, the whisper, the customer's
 * leg, every Twilio callback, the recording, transcription, analysis and
 * scoring) in Postgres round trips, statements, writes and transactions
 * (counted on the wire at the relay, dev/wire-counts.ts) and Durable Object
 * calls (counted by the Worker, workers/services/bench-counting.ts); and the
 * lead rate the one-insert floor of the same run allows at that cost.
 */
import autocannon from "autocannon";
import type { WireCounts } from "../dev/wire-counts.ts";
import { bridgeProject } from "./intake.ts";

export interface LeadCost extends WireCounts {
  objectCalls: number;
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

/** Durable Object calls the Worker has made since it started (bench routes only). */
export async function objectCalls(baseUrl: string): Promise<number> {
  const response = await fetch(`${baseUrl}/api/_bench/object-calls`);
  if (!response.ok) throw new Error(`object-calls: ${response.status} (is BENCH_ROUTES on?)`);
  return ((await response.json()) as { objectCalls: number }).objectCalls;
}

/** Waits until neither counter has moved for QUIET_MS (at most `limitMs`); the last readings. */
async function untilQuiet(options: CostOptions, limitMs: number) {
  const started = Date.now();
  let last = { pg: options.postgresCounts(), objects: await objectCalls(options.baseUrl) };
  let still = Date.now();
  while (Date.now() - started < limitMs) {
    await sleep(500);
    // The counter route is itself a request but makes no object call and no query.
    const now = { pg: options.postgresCounts(), objects: await objectCalls(options.baseUrl) };
    if (now.pg.roundTrips !== last.pg.roundTrips || now.objects !== last.objects) still = Date.now();
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
  return {
    roundTrips: delta("roundTrips"),
    statements: delta("statements"),
    writes: delta("writes"),
    transactions: delta("transactions"),
    writeTransactions,
    objectCalls: after.objects - before.objects,
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
  ];
}
