/**
 * `npm run bench`: starts the same stack as `npm run dev` (on its own ports and
 * state directory), seeds the bench tenant, and measures with autocannon:
 *   floors  — bare Hono route, tenant-object RPC, one Postgres insert;
 *   later issues add workloads and report them as ratios to these floors.
 * Writes bench/results/latest.json and bench/results/latest.md.
 * Numbers compare only within one run on one machine (see STACK.md).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pg from "pg";
import { startStack } from "../dev/stack.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const BENCH_TENANT_ID = "00000000-0000-4000-8000-00000000b007";
const durationSeconds = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);

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

/** Workloads of the identity-and-primitives issue: they need a signed-up tenant. */
async function entityWorkloads(baseUrl: string): Promise<Workload[]> {
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
  return [
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

function markdown(results: Measurement[], meta: Record<string, unknown>): string {
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
  ports: { worker: 8887, inspector: 9330, relay: 8890, pglite: 5533, twilioSimulator: 8891 },
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
  const workloads = [...floors, ...(await entityWorkloads(stack.baseUrl))];
  for (const workload of workloads) {
    console.log(`[bench] ${workload.name}: ${workload.method} ${workload.path}`);
    const result = await measure(stack.baseUrl, workload);
    const floor = results.find((r) => r.name === workload.floor);
    if (floor) result.ratioToFloor = Number((result.requestsPerSecond / floor.requestsPerSecond).toFixed(2));
    results.push(result);
  }
  const meta = {
    date: new Date().toISOString(),
    cpus: `${(await import("node:os")).cpus().length} cores`,
    postgres: process.env.DATABASE_URL ? "DATABASE_URL" : "embedded PGlite",
    durationSeconds,
    connections,
  };
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/latest.json"), `${JSON.stringify({ meta, results }, null, 2)}\n`);
  const table = markdown(results, meta);
  writeFileSync(join(root, "bench/results/latest.md"), table);
  console.log(`\n${table}`);
  const failed = results.filter((r) => r.non2xx + r.errors > 0);
  if (failed.length > 0) {
    console.error(`[bench] failures in: ${failed.map((r) => r.name).join(", ")}`);
    process.exitCode = 1;
  }
} finally {
  await stack.stop();
  rmSync(state, { recursive: true, force: true });
}
