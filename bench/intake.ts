/**
 * The product's promise, measured: leads posted to the public form intake at
 * a steady rate (open loop: a slow answer does not slow the next lead), and
 * for each one the time from sending its request to the Twilio simulator
 * receiving the request that rings the owner (the bridge's first call). Run
 * alone, then again beside bulk work on the same stack.
 *
 * The bulk work is another tenant's campaign to 5,000 past customers and an
 * export of them, both on the bulk lane (startBulkWork).
 */
import pg from "pg";
import { launchCampaign, textsFrom } from "./campaign.ts";
import { type LeadCost, leadCostMarkdown } from "./lead-cost.ts";
import { percentile } from "./percentile.ts";
import { type StageFigure, type StageLog, stageFigures } from "./stage-log.ts";

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
  /** Where the time went, stage by stage, from the Worker's own stage lines (bench/stage-log.ts). */
  stages?: StageFigure[];
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
  stageLog?: StageLog;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
 * Bulk work beside the leads, on another tenant: a campaign to 5,000 past
 * customers (imported through the API, launched at 20 texts a second from
 * its own number) and an export of those 5,000 records, both through the
 * bulk lane. Launched just before the first lead; cancelled after the last,
 * so the next run is not measured beside it. The leads start once the
 * campaign has sent its first texts.
 */
async function startBulkWork(options: IntakeOptions): Promise<{ stop(): Promise<string> }> {
  const sendingNumber = `+1555999${String(1000 + (bulkRuns++ % 9000)).padStart(4, "0")}`;
  const campaign = await launchCampaign({ ...options, recipients: 5_000, pacePerSecond: 20, sendingNumber });
  await json(
    await fetch(`${campaign.api}/tasks/entity_export`, {
      method: "POST",
      headers: { ...campaign.auth, "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ params: { type: "lead" } }),
    }),
    "export",
    202,
  );
  // The leads come once the campaign is sending (a few seconds of texts behind it), not while it starts up.
  for (let waited = 0; waited < 30_000; waited += 500) {
    if ((await textsFrom(options.twilioSimulatorUrl, sendingNumber)).texts.length >= 20) break;
    await sleep(500);
  }
  const started = Date.now();
  return {
    async stop() {
      const { texts } = await textsFrom(options.twilioSimulatorUrl, sendingNumber);
      const during = texts.filter((t) => t.atMs >= started).length;
      const seconds = Math.max(1, (Date.now() - started) / 1000);
      await fetch(`${campaign.api}/campaigns/${campaign.campaignId}/cancel`, {
        method: "POST",
        headers: campaign.auth,
        body: "{}",
      });
      return `a campaign to 5,000 past customers at 20 texts/s (${during} texted while the leads came, ${(during / seconds).toFixed(1)}/s) and an export of those 5,000 records, both on the bulk lane`;
    },
  };
}

let bulkRuns = 0;

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
  const paths: Array<{ latency: number; segments: Array<[string, number]> }> = [];
  let duplicates = 0;
  for (const [lead, t0] of sentAt) {
    const dials = byLead.get(lead);
    if (!dials) continue;
    if (dials.length > 1) duplicates += 1;
    const dialledAt = Math.min(...dials);
    latencies.push(dialledAt - t0);
    const segments = options.stageLog?.path(lead, t0, dialledAt);
    if (segments) paths.push({ latency: dialledAt - t0, segments });
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
    ...(paths.length > 0 ? { stages: stageFigures(paths) } : {}),
  };
}

const ms = (value: number | null) => (value === null ? "—" : String(Math.round(value)));

/** The intake → dial table for bench/results/latest.md. */
export function intakeMarkdown(intake: { date: string; runs: IntakeDialResult[]; cost?: LeadCost }): string {
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
    ...stageLines(intake.runs),
    ...(intake.cost ? leadCostMarkdown(intake.cost) : []),
  ];
  return `${lines.join("\n")}\n`;
}

/** Per stage, each run's p50 / p99 and its share of the slowest 5 % of leads' time; the largest share in bold. */
function stageLines(runs: IntakeDialResult[]): string[] {
  const measured = runs.filter((r) => r.stages && r.stages.length > 0);
  if (measured.length === 0) return [];
  const names = [...new Set(measured.flatMap((r) => (r.stages ?? []).map((s) => s.stage)))];
  const heaviest = (r: IntakeDialResult) =>
    [...(r.stages ?? [])].sort((a, b) => b.shareOfSlowest - a.shareOfSlowest)[0]?.stage;
  return [
    "",
    "Where the time goes, from the Worker's own stage clock (`intake stages`, `bridge stages`): p50 / p99 ms per",
    "stage, and in brackets the stage's share of the slowest 5 % of leads' time (their largest share in bold).",
    "",
    `| stage | ${measured.map((r) => `${r.leadsPerSecond}/s ${r.label}`).join(" | ")} |`,
    `| --- | ${measured.map(() => "---:").join(" | ")} |`,
    ...names.map((name) => {
      const cells = measured.map((r) => {
        const s = r.stages?.find((x) => x.stage === name);
        if (!s) return "—";
        const share = `${Math.round(s.shareOfSlowest * 100)} %`;
        return `${Math.round(s.p50Ms)} / ${Math.round(s.p99Ms)} (${heaviest(r) === name ? `**${share}**` : share})`;
      });
      return `| ${name} | ${cells.join(" | ")} |`;
    }),
  ];
}
