/**
 * The product's promise, measured: leads posted to the public form intake at
 * a steady rate (open loop: a slow answer does not slow the next lead), and
 * for each one the time from sending its request to the Twilio simulator
 * receiving the request that rings the owner (the bridge's first call). Run
 * alone, then again beside bulk work on the same stack.
 *
 * The bulk work stands in for the campaign of #16, which does not exist yet:
 * an export of 5,000 stored leads and 5,000 webhook deliveries, all through
 * the bulk lane. It is named as such in the output.
 */
import pg from "pg";

export interface IntakeDialResult {
  label: string;
  leadsPerSecond: number;
  seconds: number;
  posted: number;
  accepted: number;
  /** Leads whose owner's phone was rung within the wait. */
  dialled: number;
  /** Leads whose owner was rung more than once for the first rung (must be 0). */
  duplicates: number;
  /** Intake request sent → simulator received the call request. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Intake request round trip (the answer the form gets). */
  answerP50Ms: number | null;
  answerP99Ms: number | null;
  /** How the intake answered, by HTTP status ("error" when no answer came). */
  answers: Record<string, number>;
  background?: string;
}

interface IntakeOptions {
  baseUrl: string;
  twilioSimulatorUrl: string;
  webhookReceiverUrl: string;
  databaseUrl: string;
  leadsPerSecond: number;
  seconds: number;
  label: string;
  withBulkWork?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

const randomPhone = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;

async function json<T>(response: Response, what: string, expected: number): Promise<T> {
  if (response.status !== expected) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface Owner {
  auth: Record<string, string>;
  projectId: string;
  tenantId: string;
}

async function signUp(baseUrl: string, label: string): Promise<Owner> {
  const body = await json<{ accessToken: string; projectId: string; tenantId: string }>(
    await fetch(`${baseUrl}/api/v1/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: `bench-${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`,
        password: "bench password long enough",
        name: "Bench",
        tenantName: `Bench ${label}`,
        projectName: "Main",
      }),
    }),
    "signup",
    201,
  );
  return {
    auth: { authorization: `Bearer ${body.accessToken}`, "content-type": "application/json" },
    projectId: body.projectId,
    tenantId: body.tenantId,
  };
}

/** A project whose owner's phone answers and presses 1, and its form token. */
export async function bridgeProject(options: Pick<IntakeOptions, "baseUrl" | "twilioSimulatorUrl">) {
  const owner = await signUp(options.baseUrl, "intake");
  const ownerPhone = randomPhone();
  const settingsUrl = `${options.baseUrl}/api/v1/projects/${owner.projectId}/speed-to-lead-settings`;
  const current = await fetch(settingsUrl, { headers: owner.auth });
  const settings = await json<Record<string, unknown>>(current, "settings", 200);
  await json(
    await fetch(settingsUrl, {
      method: "PUT",
      headers: { ...owner.auth, "if-match": current.headers.get("etag") ?? "" },
      body: JSON.stringify({ ...settings, ownerPhone, trackingNumber: randomPhone() }),
    }),
    "saving the settings",
    200,
  );
  const { secret } = await json<{ secret: string }>(
    await fetch(`${options.baseUrl}/api/v1/projects/${owner.projectId}/intake-secrets/form/rotate`, {
      method: "POST",
      headers: owner.auth,
      body: "{}",
    }),
    "form token",
    200,
  );
  await fetch(`${options.twilioSimulatorUrl}/_sim/phones/${encodeURIComponent(ownerPhone)}`, {
    method: "PUT",
    body: JSON.stringify({ answer: "answer", press: "1", talkSeconds: 1 }),
  });
  return { owner, ownerPhone, formToken: secret };
}

/**
 * Bulk work beside the leads, of a campaign's shape (campaigns are #16's):
 * 5,000 events on another tenant's log, each a webhook delivery to the local
 * receiver through the bulk lane (dispatch, then delivery: 10,000 bulk
 * messages), and an export of 5,000 stored leads. Started just before the
 * first lead.
 */
async function startBulkWork(options: IntakeOptions): Promise<{ stop(): Promise<string> }> {
  const bulk = await signUp(options.baseUrl, "bulk");
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  await client.query(
    `insert into entities (tenant_id, project_id, type, name, status, data)
     select $1, $2, 'lead', 'Past customer ' || n, 'won', jsonb_build_object('phone', '+1555' || lpad(n::text, 7, '0'))
     from generate_series(1, 5000) as n`,
    [bulk.tenantId, bulk.projectId],
  );
  await client.end();
  const receiver = `bench-bulk-${Date.now()}`;
  const { secret } = await json<{ secret: string }>(
    await fetch(`${options.baseUrl}/api/v1/webhook-endpoints`, {
      method: "POST",
      headers: { ...bulk.auth, "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ url: `${options.webhookReceiverUrl}/hooks/${receiver}`, events: ["entity.created"] }),
    }),
    "webhook endpoint",
    201,
  );
  await fetch(`${options.webhookReceiverUrl}/_receivers/${receiver}`, {
    method: "PUT",
    body: JSON.stringify({ secret }),
  });
  await json(
    await fetch(`${options.baseUrl}/api/v1/tasks/entity_export`, {
      method: "POST",
      headers: { ...bulk.auth, "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ params: { type: "lead" } }),
    }),
    "export",
    202,
  );
  await json(
    await fetch(`${options.baseUrl}/api/_bench/bulk-events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenantId: bulk.tenantId, count: 5_000 }),
    }),
    "bulk events",
    200,
  );
  return {
    async stop() {
      const arrived = await fetch(`${options.webhookReceiverUrl}/_receivers/${receiver}`)
        .then((r) => r.json() as Promise<{ received?: unknown[] }>)
        .catch(() => ({ received: undefined }));
      return `an export of 5,000 stored leads and 5,000 webhook deliveries through the bulk lane (${arrived.received?.length ?? "?"} of them delivered by the end of the leads), the shape of a campaign until #16 exists`;
    },
  };
}

interface SimCall {
  to: string;
  direction: string;
  requestedAtMs: number;
  url: string | null;
}

/** The bridge calls to the owner's phone, each with the lead it rang for (from the call record in Postgres). */
async function ownerCalls(options: IntakeOptions, ownerPhone: string): Promise<Map<string, number[]>> {
  const { calls } = (await (await fetch(`${options.twilioSimulatorUrl}/_sim/calls`)).json()) as { calls: SimCall[] };
  const toOwner = calls.filter((c) => c.to === ownerPhone && c.direction === "outbound-api" && c.url);
  const callIds = toOwner.map((c) => new URL(c.url as string).searchParams.get("call") ?? "");
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ id: string; lead: string }>(
    "select id, system->>'leadId' as lead from entities where id = any($1::uuid[])",
    [callIds.filter(Boolean)],
  );
  await client.end();
  const leadOfCall = new Map(rows.map((r) => [r.id, r.lead]));
  const byLead = new Map<string, number[]>();
  toOwner.forEach((call, i) => {
    const lead = leadOfCall.get(callIds[i] as string);
    if (!lead) return;
    byLead.set(lead, [...(byLead.get(lead) ?? []), call.requestedAtMs]);
  });
  return byLead;
}

export async function measureIntakeToDial(options: IntakeOptions): Promise<IntakeDialResult> {
  const { ownerPhone, owner, formToken } = await bridgeProject(options);
  const bulk = options.withBulkWork ? await startBulkWork(options) : undefined;
  const intakeUrl = `${options.baseUrl}/webhooks/leads/form?project=${owner.projectId}&token=${formToken}`;
  const total = Math.round(options.leadsPerSecond * options.seconds);
  const sentAt = new Map<string, number>();
  const answers: number[] = [];
  const statuses: Record<string, number> = {};
  let accepted = 0;
  const started = performance.now();
  const posts: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = started + (i * 1000) / options.leadsPerSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const t0 = Date.now();
    posts.push(
      fetch(intakeUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: `Bench lead ${i}`, phone: randomPhone(), message: "Water heater leaking" }),
      })
        .then(async (response) => {
          answers.push(Date.now() - t0);
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          if (response.status !== 200) return void (await response.arrayBuffer());
          const { leadId } = (await response.json()) as { leadId: string };
          sentAt.set(leadId, t0);
          accepted += 1;
        })
        .catch(() => {
          statuses.error = (statuses.error ?? 0) + 1;
        }),
    );
  }
  await Promise.all(posts);
  const background = bulk ? await bulk.stop() : undefined;
  // Wait for the last dials (at most 60 s): a lead never dialled counts as missing, not as fast.
  let byLead = new Map<string, number[]>();
  for (let waited = 0; waited < 60_000; waited += 1_000) {
    byLead = await ownerCalls(options, ownerPhone);
    if ([...sentAt.keys()].every((lead) => byLead.has(lead))) break;
    await sleep(1_000);
  }
  const latencies: number[] = [];
  let duplicates = 0;
  for (const [lead, t0] of sentAt) {
    const dials = byLead.get(lead);
    if (!dials) continue;
    if (dials.length > 1) duplicates += 1;
    latencies.push(Math.min(...dials) - t0);
  }
  return {
    label: options.label,
    leadsPerSecond: options.leadsPerSecond,
    seconds: options.seconds,
    posted: total,
    accepted,
    dialled: latencies.length,
    duplicates,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length > 0 ? Math.max(...latencies) : null,
    answerP50Ms: percentile(answers, 50),
    answerP99Ms: percentile(answers, 99),
    answers: statuses,
    ...(background ? { background } : {}),
  };
}

const ms = (value: number | null) => (value === null ? "—" : String(Math.round(value)));

/** The intake → dial table for bench/results/latest.md. */
export function intakeMarkdown(intake: { date: string; runs: IntakeDialResult[] }): string {
  const lines = [
    `## Intake → dial (${intake.date})`,
    "",
    "Leads posted to the public form intake at a steady rate (open loop), each timed from its request to the",
    "Twilio simulator receiving the request that rings the owner. The dial starts from the intake request",
    "itself (decision 025). Every lead must be dialled exactly once.",
    "",
    "| run | leads/s × s | accepted | dialled | dialled twice | p50 ms | p95 ms | p99 ms | max ms | answer p50 / p99 ms |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...intake.runs.map(
      (r) =>
        `| ${r.label} | ${r.leadsPerSecond} × ${r.seconds} | ${r.accepted}/${r.posted} | ${r.dialled} | ${r.duplicates} | ${ms(r.p50Ms)} | ${ms(r.p95Ms)} | ${ms(r.p99Ms)} | ${ms(r.maxMs)} | ${ms(r.answerP50Ms)} / ${ms(r.answerP99Ms)} |`,
    ),
    "",
    ...intake.runs
      .filter((r) => r.accepted < r.posted)
      .map(
        (r) =>
          `${r.leadsPerSecond} leads/s ${r.label}: the intake answered ${Object.entries(r.answers ?? {})
            .map(([status, n]) => `${status} × ${n}`)
            .join(", ")}.`,
      ),
    ...intake.runs
      .filter((r) => r.background)
      .slice(0, 1)
      .map((r) => `Bulk work: ${r.background}.`),
  ];
  return `${lines.join("\n")}\n`;
}
