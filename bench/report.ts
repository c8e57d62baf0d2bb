/**
 * bench/results/latest.{json,md}: one record per section. A run of some
 * sections (`--only bundle`) replaces those and keeps the others from the
 * previous run, each with the date it was measured.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BundleBudget, BundleSize, StartupProfile } from "./bundle.ts";
import { mib } from "./bundle.ts";
import type { FanoutResult } from "./fanout.ts";

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

export interface BenchRecord {
  /** The load section's run (floors, workloads, fan-out). */
  meta?: Record<string, unknown>;
  results?: Measurement[];
  fanout?: FanoutResult[];
  bundle?: BundleRecord;
  cold?: ColdRecord;
}

export function readPrevious(dir: string): BenchRecord {
  const path = join(dir, "latest.json");
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as BenchRecord) : {};
}

export function writeRecord(dir: string, record: BenchRecord): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(record, null, 2)}\n`);
  const text = markdown(record);
  writeFileSync(join(dir, "latest.md"), text);
  return text;
}

function markdown(record: BenchRecord): string {
  const lines: string[] = [`# Bench — ${record.meta?.date ?? record.bundle?.date ?? record.cold?.date}`, ""];
  if (record.bundle) lines.push(...bundleLines(record.bundle), "");
  if (record.cold) lines.push(...coldLines(record.cold), "");
  if (record.results && record.meta) lines.push(...loadLines(record.results, record.meta), "");
  if (record.fanout) lines.push(...fanoutLines(record.fanout), "");
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

function loadLines(results: Measurement[], meta: Record<string, unknown>): string[] {
  return [
    `## Load (${meta.date})`,
    "",
    `wrangler dev on ${meta.cpus}; ${meta.connections} connections, ${meta.durationSeconds} s each; Postgres: ${meta.postgres}.`,
    "",
    "| workload | req/s | p50 ms | p99 ms | failed | ratio to floor |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.non2xx + r.errors} | ${r.ratioToFloor ?? "floor"} |`,
    ),
  ];
}

function fanoutLines(fanout: FanoutResult[]): string[] {
  const first = fanout[0];
  return [
    "WebSocket fan-out: one lead created through the API, timed to its arrival on every subscribed socket.",
    "",
    "| sockets | events | delivered | missing | p50 ms | p99 ms | max ms | p99 ratio to 1 socket |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...fanout.map(
      (f) =>
        `| ${f.sockets} | ${f.events} | ${f.deliveries} | ${f.missing} | ${f.p50Ms} | ${f.p99Ms} | ${f.maxMs} | ${
          first && f !== first ? (f.p99Ms / first.p99Ms).toFixed(1) : "floor"
        } |`,
    ),
  ];
}
