/**
 * `npm run bench`: starts the same stack as `npm run dev` (on its own ports and
 * state directory), seeds the bench tenant, and measures with autocannon:
 *   floors  — bare Hono route, tenant-object RPC, one Postgres insert;
 *   other workloads are reported as ratios to these floors;
 *   WebSocket fan-out to 1,000 sockets, against one socket as its floor.
 * Writes bench/results/latest.json and bench/results/latest.md.
 * Numbers compare only within one run on one machine: the harness itself
 * (wrangler dev, bare workerd, Miniflare) sets very different ceilings.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pg from "pg";
import { startStack } from "../dev/stack.ts";
import { type FanoutResult, measureFanout } from "./fanout.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const BENCH_TENANT_ID = "00000000-0000-4000-8000-00000000b007";
const durationSeconds = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const fanoutSockets = Number(process.env.BENCH_FANOUT_SOCKETS ?? 1000);
const fanoutEvents = Number(process.env.BENCH_FANOUT_EVENTS ?? 20);

interface Workload {
  name: string;
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** A floor this workload is compared with; floors have none. */
  floor?: string;
}

const floors: Workload[] = [
  { name: "bare Hono route", method: "GET", path: "/api/ping" },
  { name: "tenant object RPC", method: "POST", path: "/api/_bench/tenant-object-rpc" },
  { name: "Postgres insert", method: "POST", path: "/api/_bench/postgres-insert" },
];

/** Entity workloads: they need a signed-up tenant. */
async function entityWorkloads(
  baseUrl: string,
): Promise<{ workloads: Workload[]; accessToken: string; projectId: string }> {
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
  const { accessToken, projectId } = (await signup.json()) as { accessToken: string; projectId: string };
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
  ];
  return { workloads, accessToken, projectId };
}

interface Measurement {
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

async function measure(baseUrl: string, workload: Workload): Promise<Measurement> {
  const options = {
    url: `${baseUrl}${workload.path}`,
    method: workload.method,
    connections,
    ...(workload.headers ? { headers: workload.headers } : {}),
    ...(workload.body ? { body: workload.body } : {}),
  };
  await autocannon({ ...options, duration: 2 }); // warm-up: JIT, pools, object creation
  const result = await autocannon({ ...options, duration: durationSeconds });
  return {
    name: workload.name,
    path: workload.path,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    ...(workload.floor ? { floor: workload.floor } : {}),
  };
}

function markdown(results: Measurement[], fanout: FanoutResult[], meta: Record<string, unknown>): string {
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.non2xx + r.errors} | ${r.ratioToFloor ?? "floor"} |`,
  );
  return [
    `# Bench — ${meta.date}`,
    "",
    `wrangler dev on ${meta.cpus}; ${connections} connections, ${durationSeconds} s each; Postgres: ${meta.postgres}.`,
    "",
    "| workload | req/s | p50 ms | p99 ms | failed | ratio to floor |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    "WebSocket fan-out: one lead created through the API, timed to its arrival on every subscribed socket.",
    "",
    "| sockets | events | delivered | missing | p50 ms | p99 ms | max ms | p99 ratio to 1 socket |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...fanout.map(
      (f) =>
        `| ${f.sockets} | ${f.events} | ${f.deliveries} | ${f.missing} | ${f.p50Ms} | ${f.p99Ms} | ${f.maxMs} | ${
          fanout[0] && f !== fanout[0] ? (f.p99Ms / fanout[0].p99Ms).toFixed(1) : "floor"
        } |`,
    ),
    "",
  ].join("\n");
}

async function seedBenchTenant(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query("insert into tenants (id, name) values ($1, 'Bench tenant') on conflict (id) do nothing", [
    BENCH_TENANT_ID,
  ]);
  await client.end();
}

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
  },
  databaseUrl: process.env.DATABASE_URL || undefined,
  persistTo: join(state, "wrangler"),
  vars: { BENCH_ROUTES: "on", TENANT_RATE_PER_SECOND: "100000" },
  wranglerLogLevel: (process.env.BENCH_WRANGLER_LOG_LEVEL as "warn" | undefined) ?? "warn",
  log: (component, line) => {
    if (component !== "worker" || !line.includes('"msg":"request"')) console.log(`[${component}] ${line}`);
  },
});

try {
  await seedBenchTenant(stack.databaseUrl);
  const results: Measurement[] = [];
  const identity = await entityWorkloads(stack.baseUrl);
  const workloads = [...floors, ...identity.workloads];
  for (const workload of workloads) {
    console.log(`[bench] ${workload.name}: ${workload.method} ${workload.path}`);
    const result = await measure(stack.baseUrl, workload);
    const floor = results.find((r) => r.name === workload.floor);
    if (floor) result.ratioToFloor = Number((result.requestsPerSecond / floor.requestsPerSecond).toFixed(2));
    results.push(result);
  }
  const fanout: FanoutResult[] = [];
  for (const sockets of [1, fanoutSockets]) {
    console.log(`[bench] WebSocket fan-out to ${sockets} socket(s), ${fanoutEvents} events`);
    fanout.push(await measureFanout({ baseUrl: stack.baseUrl, ...identity, sockets, events: fanoutEvents }));
  }
  const meta = {
    date: new Date().toISOString(),
    cpus: `${(await import("node:os")).cpus().length} cores`,
    postgres: process.env.DATABASE_URL ? "DATABASE_URL" : "embedded PGlite",
    durationSeconds,
    connections,
  };
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/latest.json"), `${JSON.stringify({ meta, results, fanout }, null, 2)}\n`);
  const table = markdown(results, fanout, meta);
  writeFileSync(join(root, "bench/results/latest.md"), table);
  console.log(`\n${table}`);
  const failed = [
    ...results.filter((r) => r.non2xx + r.errors > 0).map((r) => r.name),
    ...fanout.filter((f) => f.missing > 0).map((f) => `fan-out to ${f.sockets}`),
  ];
  if (failed.length > 0) {
    console.error(`[bench] failures in: ${failed.join(", ")}`);
    process.exitCode = 1;
  }
} finally {
  await stack.stop();
  rmSync(state, { recursive: true, force: true });
}
