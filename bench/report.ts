/**
 * bench/results/latest.{json,md}: one record per section. A run of some
 * sections (`--only bundle`) replaces those and keeps the others from the
 * previous run, each with the date it was measured.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BundleBudget, BundleSize, StartupProfile } from "./bundle.ts";
import { mib } from "./bundle.ts";
import { type CampaignResult, campaignMarkdown } from "./campaign.ts";
import type { FanoutResult } from "./fanout.ts";
import { type HuntBenchResult, huntMarkdown } from "./hunt.ts";
import { type IntakeDialResult, intakeMarkdown } from "./intake.ts";
import type { LeadCost } from "./lead-cost.ts";
import { targetLines } from "./targets.ts";

export interface Measurement {
  name: string;
  path: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  floor?: string;
  ratioToFloor?: number;
  /** Durable Object calls per request, counted by the Worker over the timed run (with what the requests started). */
  objectCallsPerRequest?: number;
  /** Each paired round's ratio (floor run, then this workload, back to back); ratioToFloor is their median. */
  ratioRounds?: number[];
  /** The floor's median req/s in those rounds. */
  pairedFloorRps?: number;
}

export interface BundleRecord extends BundleSize {
  date: string;
  budget: BundleBudget;
  overBudget: string[];
  startup: StartupProfile & { runs: number };
}

export interface FirstRequest {
  path: string;
  status: number;
  firstMs: number;
  /** Median of the next five requests to the same path. */
  warmMs: number;
}

export interface ColdRecord {
  date: string;
  requests: FirstRequest[];
}

/** The sections that run on a stack, kept per database (the embedded PGlite, or the machine's Postgres). */
export interface StackRecord {
  /** The load section's run (floors, workloads, fan-out). */
  meta?: Record<string, unknown>;
  results?: Measurement[];
  fanout?: FanoutResult[];
  cold?: ColdRecord;
  /** The intake section: leads at a steady rate, timed to the owner's phone ringing (bench/intake.ts). */
  intake?: { date: string; runs: IntakeDialResult[]; cost?: LeadCost };
  /** The campaign section: one campaign to past customers, counted at the Twilio simulator (bench/campaign.ts). */
  campaign?: { date: string } & CampaignResult;
  /** The hunt section: one hunt of the local job boards through Browser Rendering (bench/hunt.ts). */
  hunt?: { date: string } & HuntBenchResult;
}

export const DATABASES = { embedded: "embedded PGlite", machine: "the machine's Postgres (DATABASE_URL)" } as const;
export type DatabaseLabel = (typeof DATABASES)[keyof typeof DATABASES];

export interface BenchRecord {
  bundle?: BundleRecord;
  stacks: Partial<Record<DatabaseLabel, StackRecord>>;
}

export function readPrevious(dir: string): BenchRecord {
  const path = join(dir, "latest.json");
  if (!existsSync(path)) return { stacks: {} };
  const read = JSON.parse(readFileSync(path, "utf8")) as Partial<BenchRecord> & StackRecord;
  if (read.stacks) return { ...(read.bundle ? { bundle: read.bundle } : {}), stacks: read.stacks };
  // Before the record was kept per database, every stack section ran on the embedded PGlite.
  const { bundle, ...embedded } = read as StackRecord & { bundle?: BundleRecord };
  return { ...(bundle ? { bundle } : {}), stacks: { [DATABASES.embedded]: embedded } };
}

export function writeRecord(dir: string, record: BenchRecord): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(record, null, 2)}\n`);
  const text = markdown(record);
  writeFileSync(join(dir, "latest.md"), text);
  return text;
}

function markdown(record: BenchRecord): string {
  const lines: string[] = ["# Bench", ""];
  lines.push(...targetLines(record), "");
  if (record.bundle) lines.push(...bundleLines(record.bundle), "");
  for (const [database, stack] of Object.entries(record.stacks) as Array<[DatabaseLabel, StackRecord]>) {
    lines.push(`# On ${database}`, "");
    if (stack.cold) lines.push(...coldLines(stack.cold), "");
    if (stack.results && stack.meta) lines.push(...loadLines(stack.results, stack.meta), "");
    if (stack.fanout) lines.push(...fanoutLines(stack.fanout), "");
    if (stack.intake) lines.push(intakeMarkdown(stack.intake));
    if (stack.campaign) lines.push(campaignMarkdown(stack.campaign));
    if (stack.hunt) lines.push(huntMarkdown(stack.hunt));
  }
  return lines.join("\n");
}

function bundleLines(bundle: BundleRecord): string[] {
  const verdict = bundle.overBudget.length > 0 ? `**OVER BUDGET**: ${bundle.overBudget.join("; ")}` : "within budget";
  return [
    `## Worker bundle (${bundle.date})`,
    "",
    "`wrangler deploy --dry-run --minify`, as `npm run deploy` ships it; budget in `bench/bundle-budget.json`.",
    "",
    "| | raw | gzip |",
    "| --- | ---: | ---: |",
    `| bundle | ${mib(bundle.rawBytes)} | ${mib(bundle.gzipBytes)} |`,
    `| budget | ${mib(bundle.budget.rawBytes)} | ${mib(bundle.budget.gzipBytes)} |`,
    "",
    `Verdict: ${verdict}.`,
    "",
    `Startup (\`wrangler check startup\`, local workerd, best of ${bundle.startup.runs}): ` +
      `${bundle.startup.activeMs} ms CPU in a ${bundle.startup.windowMs} ms window.`,
    "",
    `Largest parts: ${bundle.largest.map((p) => `${p.name} ${(p.bytes / 1024).toFixed(0)} KiB`).join(", ")}.`,
  ];
}

function coldLines(cold: ColdRecord): string[] {
  return [
    `## First requests (${cold.date})`,
    "",
    "The first request to each path on a freshly started `wrangler dev` (its isolate has answered only",
    "`/api/health`), against the median of the next five. `/login` is the UI's cold path: the Remix build",
    "is imported on its first request.",
    "",
    "| path | status | first ms | warm ms |",
    "| --- | ---: | ---: | ---: |",
    ...cold.requests.map((r) => `| ${r.path} | ${r.status} | ${r.firstMs} | ${r.warmMs} |`),
  ];
}

function ratioCell(r: Measurement): string {
  if (r.ratioToFloor === undefined) return "floor";
  return r.ratioRounds ? `${r.ratioToFloor} (rounds ${r.ratioRounds.join(", ")})` : String(r.ratioToFloor);
}

function loadLines(results: Measurement[], meta: Record<string, unknown>): string[] {
  return [
    `## Load (${meta.date})`,
    "",
    `wrangler dev on ${meta.cpus}; ${meta.connections} connections, ${meta.durationSeconds} s each; Postgres: ${meta.postgres}.`,
    "",
    "A ratio with rounds is the median of paired rounds, each its floor then the workload for half that time, back to back; its req/s is the mean over the rounds and its p99 the worst round's. Lead intake is timed once, after everything else, against the floor's own run.",
    "",
    "| workload | req/s | p50 ms | p99 ms | failed | ratio to floor | object calls per request |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.non2xx + r.errors} | ${ratioCell(r)} | ${r.objectCallsPerRequest ?? "—"} |`,
    ),
  ];
}

function fanoutLines(fanout: FanoutResult[]): string[] {
  const first = fanout[0];
  const split = (f: FanoutResult) =>
    f.slowest ? `${f.slowest.beforeLoopMs} / ${f.slowest.loopMs} / ${f.slowest.afterLoopMs}` : "—";
  return [
    "WebSocket fan-out: one lead created through the API, timed to its arrival on every subscribed socket.",
    "",
    "| sockets | events | delivered | missing | p50 ms | p99 ms | max ms | p99 ratio to 1 socket | send loop p50 / p99 ms | slowest 1 %: before / in / after the loop, ms | bench process CPU ms per event | acks per delivery |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...fanout.map(
      (f) =>
        `| ${f.sockets} | ${f.events} | ${f.deliveries} | ${f.missing} | ${f.p50Ms} | ${f.p99Ms} | ${f.maxMs} | ${
          first && f !== first ? (f.p99Ms / first.p99Ms).toFixed(1) : "floor"
        } | ${f.loop ? `${f.loop.p50Ms} / ${f.loop.p99Ms}` : "—"} | ${split(f)} | ${f.client?.cpuMsPerEvent ?? "—"} | ${f.acksPerDelivery ?? "—"} |`,
    ),
    "",
    ...fanoutVerdict(fanout),
  ];
}

/** Says where the largest run's slowest deliveries spent their time: the object's send loop, or around it. */
function fanoutVerdict(fanout: FanoutResult[]): string[] {
  const first = fanout[0];
  const largest = fanout[fanout.length - 1];
  if (!first || !largest || largest === first) return [];
  const closed = Object.entries(largest.closedEarly ?? {}).map(([code, count]) => `${count} with code ${code}`);
  const losses = closed.length > 0 ? [`Sockets closed by the server during the run: ${closed.join(", ")}.`] : [];
  const percent = (share: number) => `${Math.round(share * 100)} %`;
  const loops = largest.client?.threadEventLoopUtilization
    ? `its main event loop ${percent(largest.client.mainEventLoopUtilization ?? 0)} busy, the ${largest.clientThreads ?? largest.client.threadEventLoopUtilization.length} client threads' ${largest.client.threadEventLoopUtilization.map(percent).join(" and ")}`
    : `event loop ${percent(largest.client?.eventLoopUtilization ?? 0)} busy`;
  const cpu = largest.client
    ? `the bench process (its ${largest.sockets} clients${largest.clientThreads ? ` in ${largest.clientThreads} worker threads` : ""}, with the Postgres relay and any embedded Postgres) used ${largest.client.cpuMsPerEvent} ms of CPU per event on the same cores (${loops})`
    : "the bench's clients share the same cores";
  const slow = largest.slowest;
  if (!slow) {
    return [
      `The object's send-loop timings could not be read (GET /api/_bench/fan-out), so p99 is not split; ${cpu}.`,
      ...losses,
    ];
  }
  const total = slow.beforeLoopMs + slow.loopMs + slow.afterLoopMs;
  const share = (ms: number) => `${Math.round((ms / total) * 100)} %`;
  const waited = first.slowest ? ` (${first.slowest.beforeLoopMs} ms at 1 socket)` : "";
  return [
    `Where p99 goes at ${largest.sockets} sockets: the slowest 1 % of deliveries took ${Math.round(total)} ms on average —`,
    `${slow.beforeLoopMs} ms (${share(slow.beforeLoopMs)}) before the object's send loop began${waited}: the create request,`,
    `queued behind what the object and the cores were still doing (each socket's ack of the previous event is an event of its own for the object);`,
    `${slow.loopMs} ms (${share(slow.loopMs)}) in the send loop; ${slow.afterLoopMs} ms (${share(slow.afterLoopMs)}) after it:`,
    `workerd handing the frames over and the bench receiving them — ${cpu}.`,
    ...losses,
  ];
}
