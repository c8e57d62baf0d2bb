/**
 * `npm run bench`, in six sections (`-- --only bundle,cold` runs some):
 *   bundle — the Worker as `npm run deploy` ships it: raw and gzip size
 *            against bench/bundle-budget.json (over it, the bench fails),
 *            and its startup CPU time in local workerd (bench/bundle.ts);
 *   cold   — the first request to each path on a freshly started stack;
 *   load   — floors (bare Hono route, tenant-object RPC, one Postgres
 *            insert), the API workloads as ratios to them (autocannon), and
 *            WebSocket fan-out to 1,000 sockets against one socket;
 *   intake — the product's promise: leads posted to the form intake at a
 *            steady rate, each timed to the Twilio simulator receiving the
 *            call that rings the owner; alone, then beside bulk work
 *            (bench/intake.ts);
 *   campaign — issue #16's: past customers imported, one campaign launched to
 *            them; the launch's time to enqueue, the sustained send rate
 *            against the pace the simulator holds the number to, and every
 *            recipient texted exactly once (bench/campaign.ts).
 *   hunt     — issue #15's: one hunt of the local job boards through Browser
 *            Rendering: pages a minute against the boards' polite ceiling,
 *            render and extraction latency per page (bench/hunt.ts).
 * cold, load, intake, campaign and hunt share one stack, the same as `npm run dev`
 * (own ports and state directory); load seeds the bench tenant.
 * Writes bench/results/latest.json and bench/results/latest.md; sections not
 * run keep their previous results (bench/report.ts).
 * Numbers compare only within one run on one machine: the harness itself
 * (wrangler dev, bare workerd, Miniflare) sets very different ceilings.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pg from "pg";
import { type Stack, startStack } from "../dev/stack.ts";
import { bundleWorker, measureStartup, mib, overBudget, readBudget, type StartupProfile } from "./bundle.ts";
import { type CampaignResult, measureCampaign } from "./campaign.ts";
import { type FanoutResult, measureFanout } from "./fanout.ts";
import { type HuntBenchResult, measureHunt } from "./hunt.ts";
import { bridgeProject, type IntakeDialResult, measureIntakeToDial } from "./intake.ts";
import { type LeadCost, measureLeadCost, objectCalls } from "./lead-cost.ts";
import {
  type BenchRecord,
  type BundleRecord,
  type ColdRecord,
  DATABASES,
  type FirstRequest,
  type Measurement,
  readPrevious,
  type StackRecord,
  writeRecord,
} from "./report.ts";
import { StageLog } from "./stage-log.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const BENCH_TENANT_ID = "00000000-0000-4000-8000-00000000b007";
const durationSeconds = Number(process.env.BENCH_DURATION ?? 10);
/** Paired floor/workload rounds behind each ratio (measureAgainstFloor). */
const ratioRounds = Number(process.env.BENCH_RATIO_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const fanoutSockets = Number(process.env.BENCH_FANOUT_SOCKETS ?? 1000);
const fanoutEvents = Number(process.env.BENCH_FANOUT_EVENTS ?? 20);
const startupRuns = Number(process.env.BENCH_STARTUP_RUNS ?? 3);

/** The Worker's intake and bridge stage lines, read off its output while the stack runs. */
const stageLog = new StageLog();

const SECTIONS = ["bundle", "cold", "load", "intake", "campaign", "hunt"] as const;
type Section = (typeof SECTIONS)[number];

/** `--only bundle,cold` (or `--only=bundle`): the sections to run; all by default. */
function chosenSections(argv: string[]): Set<Section> {
  const index = argv.findIndex((a) => a === "--only" || a.startsWith("--only="));
  if (index === -1) return new Set(SECTIONS);
  const value = argv[index]?.includes("=") ? argv[index]?.split("=")[1] : argv[index + 1];
  const names = (value ?? "").split(",").filter(Boolean);
  const unknown = names.filter((n) => !SECTIONS.includes(n as Section));
  if (names.length === 0 || unknown.length > 0) {
    console.error(`[bench] --only takes a comma list of ${SECTIONS.join(", ")}; got "${value ?? ""}"`);
    process.exit(2);
  }
  return new Set(names as Section[]);
}

interface Workload {
  name: string;
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** A floor this workload is compared with; floors have none. */
  floor?: string;
  /** Makes each request different (a new lead's phone, the next record to PATCH). */
  setupRequest?: (request: autocannon.Request) => autocannon.Request;
}

const floors: Workload[] = [
  { name: "bare Hono route", method: "GET", path: "/api/ping" },
  { name: "tenant object RPC", method: "POST", path: "/api/_bench/tenant-object-rpc" },
  { name: "Postgres insert", method: "POST", path: "/api/_bench/postgres-insert" },
];

/** Entity workloads: they need a signed-up tenant. */
async function entityWorkloads(
  stack: Stack,
): Promise<{ workloads: Workload[]; accessToken: string; projectId: string }> {
  const baseUrl = stack.baseUrl;
  const signup = await fetch(`${baseUrl}/api/v1/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      email: `bench-${Date.now()}@example.com`,
      password: "bench password long enough",
      name: "Bench",
      tenantName: "Bench Plumbing",
      projectName: "Main",
    }),
  });
  if (signup.status !== 201) throw new Error(`bench signup failed: ${signup.status} ${await signup.text()}`);
  const { accessToken, projectId, tenantId } = (await signup.json()) as {
    accessToken: string;
    projectId: string;
    tenantId: string;
  };
  const headers = { authorization: `Bearer ${accessToken}`, "content-type": "application/json" };
  const body = JSON.stringify({ projectId, type: "lead", name: "Bench lead", data: { phone: "+15551234567" } });
  const workloads: Workload[] = [
    { name: "entity create", method: "POST", path: "/api/v1/entities", headers, body, floor: "Postgres insert" },
    {
      name: "idempotent replay",
      method: "POST",
      path: "/api/v1/entities",
      headers: { ...headers, "idempotency-key": `bench-${Date.now()}` },
      body,
      floor: "tenant object RPC",
    },
    await patchWorkload(stack.databaseUrl, tenantId, projectId, headers),
  ];
  return { workloads, accessToken, projectId };
}

/** PATCH of stored leads, each at its current version: one per request, seeded in Postgres beforehand. */
async function patchWorkload(
  databaseUrl: string,
  tenantId: string,
  projectId: string,
  headers: Record<string, string>,
): Promise<Workload> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ id: string }>(
    `insert into entities (tenant_id, project_id, type, name, status)
     select $1, $2, 'lead', 'Patched ' || n, 'new' from generate_series(1, 20000) as n returning id`,
    [tenantId, projectId],
  );
  await client.end();
  let next = 0;
  return {
    name: "entity PATCH",
    method: "POST",
    path: "/api/v1/entities",
    headers: { ...headers, "if-match": '"1"' },
    floor: "Postgres insert",
    setupRequest: (request) => ({
      ...request,
      method: "PATCH",
      path: `/api/v1/entities/${rows[next++ % rows.length]?.id}`,
      body: JSON.stringify({ status: "contacted" }),
    }),
  };
}

/** A new lead per request (its own phone) through the form intake of a project whose owner answers. */
async function intakeWorkload(stack: Stack): Promise<Workload> {
  const { owner, formToken } = await bridgeProject(stack);
  let n = 0;
  return {
    name: "lead intake",
    method: "POST",
    path: `/webhooks/leads/form?project=${owner.projectId}&token=${formToken}`,
    headers: { "content-type": "application/json" },
    floor: "Postgres insert",
    setupRequest: (request) => ({
      ...request,
      body: JSON.stringify({ name: `Load ${n}`, phone: `+1556${String(n++).padStart(7, "0")}`, message: "Leak" }),
    }),
  };
}

function cannonOptions(baseUrl: string, workload: Workload) {
  return {
    url: `${baseUrl}${workload.path}`,
    method: workload.method,
    connections,
    ...(workload.headers ? { headers: workload.headers } : {}),
    ...(workload.body ? { body: workload.body } : {}),
    ...(workload.setupRequest ? { requests: [{ setupRequest: workload.setupRequest }] } : {}),
  };
}

/** One timed autocannon run, with the object calls the Worker counted during it. */
async function timedRun(baseUrl: string, workload: Workload, seconds: number) {
  const callsBefore = await objectCalls(baseUrl);
  const result = await autocannon({ ...cannonOptions(baseUrl, workload), duration: seconds });
  return { result, calls: (await objectCalls(baseUrl)) - callsBefore };
}

async function measure(baseUrl: string, workload: Workload): Promise<Measurement> {
  await autocannon({ ...cannonOptions(baseUrl, workload), duration: 2 }); // warm-up: JIT, pools, object creation
  const { result, calls } = await timedRun(baseUrl, workload, durationSeconds);
  return {
    name: workload.name,
    path: workload.path,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    ...(workload.floor ? { floor: workload.floor } : {}),
    ...(result.requests.total > 0
      ? { objectCallsPerRequest: Math.round((calls / result.requests.total) * 100) / 100 }
      : {}),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/**
 * A workload against its floor in paired rounds, floor then workload, each
 * half the run's duration: on this shared 2-core machine one run of either
 * swings by a quarter from minute to minute, and a pair run back to back
 * sees the same machine. The ratio is the median of the rounds' ratios; the
 * workload's req/s is its mean over the rounds, its p99 the worst round's.
 */
async function measureAgainstFloor(baseUrl: string, workload: Workload, floor: Workload): Promise<Measurement> {
  await autocannon({ ...cannonOptions(baseUrl, workload), duration: 2 }); // warm-up
  const seconds = Math.max(1, Math.round(durationSeconds / 2));
  const rounds: { floorRps: number; rps: number; run: Awaited<ReturnType<typeof timedRun>> }[] = [];
  for (let round = 0; round < ratioRounds; round += 1) {
    const floorRun = await timedRun(baseUrl, floor, seconds);
    const run = await timedRun(baseUrl, workload, seconds);
    rounds.push({ floorRps: floorRun.result.requests.average, rps: run.result.requests.average, run });
  }
  const ratios = rounds.map((r) => Number((r.floorRps > 0 ? r.rps / r.floorRps : 0).toFixed(2)));
  const total = rounds.reduce((sum, r) => sum + r.run.result.requests.total, 0);
  const calls = rounds.reduce((sum, r) => sum + r.run.calls, 0);
  return {
    name: workload.name,
    path: workload.path,
    requestsPerSecond: Math.round(rounds.reduce((sum, r) => sum + r.rps, 0) / rounds.length),
    p50Ms: median(rounds.map((r) => r.run.result.latency.p50)),
    p99Ms: Math.max(...rounds.map((r) => r.run.result.latency.p99)),
    non2xx: rounds.reduce((sum, r) => sum + r.run.result.non2xx, 0),
    errors: rounds.reduce((sum, r) => sum + r.run.result.errors, 0),
    floor: floor.name,
    ratioToFloor: median(ratios),
    ratioRounds: ratios,
    pairedFloorRps: Math.round(median(rounds.map((r) => r.floorRps))),
    ...(total > 0 ? { objectCallsPerRequest: Math.round((calls / total) * 100) / 100 } : {}),
  };
}

async function seedBenchTenant(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query("insert into tenants (id, name) values ($1, 'Bench tenant') on conflict (id) do nothing", [
    BENCH_TENANT_ID,
  ]);
  await client.end();
}

async function bundleSection(): Promise<BundleRecord> {
  const outdir = mkdtempSync(join(tmpdir(), "apex-bundle-"));
  try {
    console.log("[bench] bundle: wrangler deploy --dry-run");
    const size = await bundleWorker(outdir);
    const budget = readBudget();
    const profiles: StartupProfile[] = [];
    for (let run = 1; run <= startupRuns; run += 1) {
      console.log(`[bench] bundle: wrangler check startup (${run}/${startupRuns})`);
      profiles.push(await measureStartup(outdir));
    }
    // The best run: on a shared machine the others measure the neighbours too.
    profiles.sort((a, b) => a.activeMs - b.activeMs);
    const startup = profiles[0] as StartupProfile;
    return {
      date: new Date().toISOString(),
      ...size,
      budget,
      overBudget: overBudget(size, budget),
      startup: { ...startup, runs: profiles.length },
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** First request to each path, then the median of five more: before anything else touches the stack. */
async function coldSection(baseUrl: string): Promise<ColdRecord> {
  const timed = async (path: string) => {
    const started = performance.now();
    const response = await fetch(`${baseUrl}${path}`, { redirect: "manual" });
    await response.arrayBuffer();
    return { status: response.status, ms: Math.round((performance.now() - started) * 10) / 10 };
  };
  const requests: FirstRequest[] = [];
  for (const path of ["/api/ping", "/login"]) {
    console.log(`[bench] cold: first GET ${path}`);
    const first = await timed(path);
    const warm: number[] = [];
    for (let i = 0; i < 5; i += 1) warm.push((await timed(path)).ms);
    warm.sort((a, b) => a - b);
    requests.push({ path, status: first.status, firstMs: first.ms, warmMs: warm[2] as number });
  }
  return { date: new Date().toISOString(), requests };
}

async function loadSection(stack: Stack): Promise<Pick<StackRecord, "meta" | "results" | "fanout">> {
  await seedBenchTenant(stack.databaseUrl);
  const results: Measurement[] = [];
  const identity = await entityWorkloads(stack);
  const workloads = [...floors, ...identity.workloads];
  for (const workload of workloads) {
    console.log(`[bench] ${workload.name}: ${workload.method} ${workload.path}`);
    const floor = floors.find((f) => f.name === workload.floor);
    results.push(
      floor ? await measureAgainstFloor(stack.baseUrl, workload, floor) : await measure(stack.baseUrl, workload),
    );
  }
  const fanout: FanoutResult[] = [];
  for (const sockets of [1, fanoutSockets]) {
    console.log(`[bench] WebSocket fan-out to ${sockets} socket(s), ${fanoutEvents} events`);
    fanout.push(await measureFanout({ baseUrl: stack.baseUrl, ...identity, sockets, events: fanoutEvents }));
  }

  const meta = {
    date: new Date().toISOString(),
    cpus: `${cpus().length} cores`,
    postgres: database,
    durationSeconds,
    connections,
  };
  return { meta, results, fanout };
}

/**
 * The lead-intake load workload, run last of all: every lead it takes starts a
 * bridge whose calls, callbacks and analysis run on long after it ends, and
 * would slow whatever came next.
 */
async function intakeLoad(stack: Stack, results: Measurement[]): Promise<Measurement> {
  const intake = await intakeWorkload(stack);
  console.log(`[bench] ${intake.name}: ${intake.method} ${intake.path.split("?")[0]}`);
  // Not in paired rounds: each round's leads run on as bridges and would slow the next floor round.
  const taken = await measure(stack.baseUrl, intake);
  const insertFloor = results.find((r) => r.name === intake.floor);
  if (insertFloor) taken.ratioToFloor = Number((taken.requestsPerSecond / insertFloor.requestsPerSecond).toFixed(2));
  return taken;
}

/**
 * Intake → dial at a steady rate, on one stack, as BENCH_INTAKE_PLAN lists
 * its runs ("leads/s x seconds", "+bulk" beside bulk work). By default: 2
 * leads/s for 10 s (the rate #18 first measured: p50 8.7 s then) and the
 * issue's 20 leads/s for 30 s, each alone and beside bulk work.
 */
async function intakeSection(stack: Stack): Promise<{ date: string; runs: IntakeDialResult[]; cost: LeadCost }> {
  // First, on a quiet stack: what one lead costs through its whole life.
  console.log("[bench] intake: what one lead costs, intake to the end of its call");
  const cost = await measureLeadCost(stack);
  const plan = (process.env.BENCH_INTAKE_PLAN ?? "2x10,2x10+bulk,20x30,20x30+bulk").split(",").map((step) => {
    const match = /^(\d+(?:\.\d+)?)x(\d+)(\+bulk)?$/.exec(step.trim());
    if (!match) throw new Error(`BENCH_INTAKE_PLAN: "${step}" is not "rate x seconds[+bulk]"`);
    return { leadsPerSecond: Number(match[1]), seconds: Number(match[2]), withBulkWork: Boolean(match[3]) };
  });
  const runs: IntakeDialResult[] = [];
  for (const run of plan) {
    const label = run.withBulkWork ? "beside bulk work" : "alone";
    console.log(`[bench] intake → dial, ${run.leadsPerSecond} leads/s for ${run.seconds} s, ${label}`);
    runs.push(await measureIntakeToDial({ ...stack, ...run, label, stageLog }));
  }
  return { date: new Date().toISOString(), runs, cost };
}

/**
 * One campaign of BENCH_CAMPAIGN_RECIPIENTS (5,000) past customers at
 * BENCH_CAMPAIGN_PACE (20) texts a second, after the intake runs: its
 * sending would otherwise be the bulk work they are measured beside.
 */
async function campaignSection(stack: Stack): Promise<{ date: string } & CampaignResult> {
  const recipients = Number(process.env.BENCH_CAMPAIGN_RECIPIENTS ?? 5_000);
  const pacePerSecond = Number(process.env.BENCH_CAMPAIGN_PACE ?? 20);
  console.log(`[bench] campaign: ${recipients} recipients at ${pacePerSecond} texts/s`);
  const result = await measureCampaign({ ...stack, recipients, pacePerSecond });
  return { date: new Date().toISOString(), ...result };
}

/** One hunt of both local job boards through Browser Rendering (bench/hunt.ts). */
async function huntSection(stack: Stack): Promise<{ date: string } & HuntBenchResult> {
  console.log("[bench] hunt: both job boards through Browser Rendering");
  return { date: new Date().toISOString(), ...(await measureHunt(stack)) };
}

async function withStack<T>(work: (stack: Stack) => Promise<T>): Promise<T> {
  const state = mkdtempSync(join(tmpdir(), "apex-bench-"));
  const stack = await startStack({
    ports: {
      worker: 8887,
      inspector: 9330,
      relay: 8890,
      pglite: 5533,
      twilioSimulator: 8891,
      webhookReceiver: 8892,
      geminiSimulator: 8893,
      gigsBoard: 8894,
      tradesBoard: 8895,
      overpassSimulator: 8896,
      wordpress: 8897,
      searchConsoleSimulator: 8898,
    },
    databaseUrl: process.env.DATABASE_URL || undefined,
    persistTo: join(state, "wrangler"),
    vars: { BENCH_ROUTES: "on", TENANT_RATE_PER_SECOND: "100000", INTAKE_RATE_PER_SECOND: "100000" },
    wranglerLogLevel: (process.env.BENCH_WRANGLER_LOG_LEVEL as "warn" | undefined) ?? "log",
    log: (component, line) => {
      if (component === "worker" && (line.includes('"msg":"request"') || stageLog.take(line))) return;
      console.log(`[${component}] ${line}`);
    },
  });
  try {
    return await work(stack);
  } finally {
    await stack.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

const sections = chosenSections(process.argv.slice(2));
const resultsDir = join(root, "bench/results");
const record: BenchRecord = readPrevious(resultsDir);
// Stack sections are kept per database: run once as is (embedded PGlite) and once with DATABASE_URL.
const database = process.env.DATABASE_URL ? DATABASES.machine : DATABASES.embedded;
const onThisDatabase: StackRecord = record.stacks[database] ?? {};
record.stacks[database] = onThisDatabase;
if (sections.has("bundle")) record.bundle = await bundleSection();
const onStack: Section[] = ["cold", "load", "intake", "campaign", "hunt"];
if (onStack.some((section) => sections.has(section))) {
  await withStack(async (stack) => {
    const here = onThisDatabase;
    if (sections.has("cold")) here.cold = await coldSection(stack.baseUrl);
    if (sections.has("load")) Object.assign(here, await loadSection(stack));
    if (sections.has("intake")) here.intake = await intakeSection(stack);
    if (sections.has("campaign")) here.campaign = await campaignSection(stack);
    if (sections.has("hunt")) here.hunt = await huntSection(stack);
    if (sections.has("load")) here.results?.push(await intakeLoad(stack, here.results ?? []));
  });
}
console.log(`\n${writeRecord(resultsDir, record)}`);

const failed = [
  ...(sections.has("load") ? (onThisDatabase.results ?? []) : [])
    .filter((r) => r.non2xx + r.errors > 0)
    .map((r) => r.name),
  ...(sections.has("load") ? (onThisDatabase.fanout ?? []) : [])
    .filter((f) => f.missing > 0)
    .map((f) => `fan-out to ${f.sockets}`),
  ...(sections.has("intake") ? (onThisDatabase.intake?.runs ?? []) : [])
    .filter((r) => r.duplicates > 0 || r.dialled < r.accepted)
    .map((r) => `intake → dial ${r.label} (${r.duplicates} dialled twice, ${r.accepted - r.dialled} never dialled)`),
  ...(sections.has("campaign") && onThisDatabase.campaign ? [onThisDatabase.campaign] : [])
    .filter((c) => c.duplicates > 0 || c.missing > 0)
    .map((c) =>
      c.timedOut
        ? `campaign (timed out after ${c.wallSeconds} s with ${c.missing} not yet texted; ${c.duplicates} texted twice)`
        : `campaign (${c.duplicates} texted twice, ${c.missing} never texted)`,
    ),
  ...(sections.has("hunt") && onThisDatabase.hunt ? [onThisDatabase.hunt] : [])
    .filter((h) => h.failedBoards.length > 0 || h.pages === 0)
    .map((h) => `hunt (${h.failedBoards.join("; ") || "no page read"})`),
  ...(sections.has("cold") ? (onThisDatabase.cold?.requests ?? []) : [])
    .filter((r) => r.status >= 500)
    .map((r) => `first ${r.path}`),
];
if (failed.length > 0) {
  console.error(`[bench] failures in: ${failed.join(", ")}`);
  process.exitCode = 1;
}
if (sections.has("bundle") && record.bundle && record.bundle.overBudget.length > 0) {
  console.error(
    `\n[bench] THE WORKER BUNDLE IS OVER ITS BUDGET: ${record.bundle.overBudget.join("; ")}.\n` +
      "[bench] Find what grew in the largest parts above; raise bench/bundle-budget.json only with a decision.",
  );
  process.exitCode = 1;
} else if (record.bundle && sections.has("bundle")) {
  console.log(
    `[bench] bundle ${mib(record.bundle.rawBytes)} raw is within its budget of ${mib(record.bundle.budget.rawBytes)}`,
  );
}
