/**
 * `npm run test:e2e`, second part: a reactivation campaign to 1,000 imported
 * customers on the stack `npm run dev` runs, with the Worker killed mid-
 * campaign (SIGKILL, as a crash) and the whole stack started again on the
 * same state. Every eligible customer gets exactly one text across both
 * runs; nobody is texted outside their send window; customers texted by an
 * earlier campaign are left out by the frequency cap; numbers that said STOP
 * and numbers the carrier refuses are refused with their reasons.
 *
 * Twilio does not restart with our stack, so the simulator keeps a journal
 * of the texts it accepted and the restarted one reads it back: a row a dead
 * sender held is checked against Twilio's list before it is sent again, as
 * in production.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ApexClient, createApexClient } from "../app/lib/api-client/index.ts";
import { persistentSigningKeys } from "../dev/jwt-keys.ts";
import { localHour, zoneWhereItIs } from "../dev/local-hours.ts";
import { type Stack, startStack } from "../dev/stack.ts";
import { answered, expect } from "./expect.ts";

const PORTS = {
  worker: 8987,
  inspector: 9430,
  relay: 8990,
  pglite: 5633,
  twilioSimulator: 8991,
  webhookReceiver: 8992,
  geminiSimulator: 8993,
  gigsBoard: 8994,
  tradesBoard: 8995,
  overpassSimulator: 8996,
  wordpress: 8997,
  searchConsoleSimulator: 8998,
};
const PACE = 20;
const COUNTS = { normal: 860, boiler: 20, stopped: 40, invalid: 40, night: 40 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Numbers whose own zone is at night now (outside 09–20): Berlin, Tokyo or New York, whichever is. */
function nightNumbers(count: number): { numbers: string[]; zone: string } {
  const places = [
    { zone: "Europe/Berlin", number: (i: number) => `+49151${String(10_000_000 + i)}` },
    { zone: "Asia/Tokyo", number: (i: number) => `+8190${String(10_000_000 + i)}` },
    { zone: "America/New_York", number: (i: number) => `+1212555${String(1000 + i).slice(-4)}` },
  ];
  const place = places.find(({ zone }) => {
    const hour = localHour(Date.now(), zone);
    // Night now and for the next half hour, so the run cannot cross into the window.
    const later = localHour(Date.now() + 30 * 60_000, zone);
    return (hour < 9 || hour >= 20) && (later < 9 || later >= 20);
  });
  if (!place) throw new Error("none of Berlin, Tokyo and New York is at night now");
  return { numbers: Array.from({ length: count }, (_, i) => place.number(i)), zone: place.zone };
}

const phone = (group: number, i: number) => `+1555${group}${String(100_000 + i).slice(-6)}`;

interface SimMessage {
  sid: string;
  from: string;
  to: string;
  body: string;
  direction: string;
  history: { status: string; atMs: number }[];
}

async function simMessages(stack: Stack): Promise<SimMessage[]> {
  const answer = await fetch(`${stack.twilioSimulatorUrl}/_sim/messages`);
  return ((await answer.json()) as { messages: SimMessage[] }).messages;
}

async function scriptSimulator(stack: Stack, trackingNumber: string, invalid: string[]) {
  const sim = (path: string, body: unknown) =>
    fetch(`${stack.twilioSimulatorUrl}${path}`, { method: "PUT", body: JSON.stringify(body) });
  await sim(`/_sim/senders/${encodeURIComponent(trackingNumber)}`, { perSecond: PACE });
  for (const number of invalid) await sim(`/_sim/phones/${encodeURIComponent(number)}`, { sms: "invalid" });
}

async function launchAndWait(apex: ApexClient, id: string, until: (c: CampaignView) => boolean, timeoutMs: number) {
  answered("launch", await apex.POST("/api/v1/campaigns/{id}/launch", { params: { path: { id } } }), 200);
  return waitFor(apex, id, until, timeoutMs);
}

type CampaignView = {
  run: { state: string };
  counts: { byStatus: Record<string, number>; byReason: Record<string, number> };
};

async function waitFor(apex: ApexClient, id: string, until: (c: CampaignView) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last: CampaignView | undefined;
  while (Date.now() < deadline) {
    last = answered("campaign", await apex.GET("/api/v1/campaigns/{id}", { params: { path: { id } } }), 200);
    if (until(last)) return last;
    await sleep(500);
  }
  throw new Error(`campaign ${id} did not get there in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

const state = mkdtempSync(join(tmpdir(), "apex-e2e-campaign-"));
const stackOptions = {
  ports: PORTS,
  databaseUrl: process.env.E2E_DATABASE_URL || undefined,
  pgliteDataDir: join(state, "pglite"),
  persistTo: join(state, "wrangler"),
  // Twilio does not restart with our stack: the simulator started again remembers what it sent.
  twilioMessageJournal: join(state, "twilio-messages.ndjson"),
  jwtSigningKeys: persistentSigningKeys(join(state, "jwt-signing-keys.json")),
  reuseBuild: true,
  // The stack's own lines only: a thousand texts' worth of simulator lines would bury the result.
  log: (component: string, line: string) => {
    const chatty = component === "worker" || component === "twilio-sim" || component === "webhooks";
    if (!chatty || process.env.E2E_WORKER_LOGS) console.log(`[${component}] ${line}`);
  },
};

let stack: Stack | undefined;
let failed = false;
const started = Date.now();
try {
  stack = await startStack(stackOptions);
  const baseUrl = stack.baseUrl;
  const signup = await createApexClient({ baseUrl }).POST("/api/v1/auth/signup", {
    body: {
      email: `e2e-campaign-${Date.now()}@example.com`,
      password: "a long enough password",
      name: "E2E",
      tenantName: "E2E campaign",
      projectName: "Main",
    },
  });
  const { accessToken, projectId } = answered("signup", signup, 201);
  const apex = createApexClient({ baseUrl, token: accessToken });
  const zone = zoneWhereItIs(10, 17);
  const trackingNumber = "+15550199999";
  const ownerPhone = "+15550199998";
  const project = { params: { path: { id: projectId } } };
  const current = await apex.GET("/api/v1/projects/{id}/speed-to-lead-settings", project);
  answered(
    "settings",
    await apex.PUT("/api/v1/projects/{id}/speed-to-lead-settings", {
      params: { path: { id: projectId }, header: { "if-match": current.response.headers.get("etag") ?? "" } },
      body: { ...answered("settings", current, 200), ownerPhone, trackingNumber, timezone: zone },
    }),
    200,
  );

  // 1,000 past customers: most ordinary, some boiler customers, some who will say STOP, some the carrier
  // refuses, and some whose own zone is at night.
  const groups = {
    normal: Array.from({ length: COUNTS.normal }, (_, i) => phone(1, i)),
    boiler: Array.from({ length: COUNTS.boiler }, (_, i) => phone(2, i)),
    stopped: Array.from({ length: COUNTS.stopped }, (_, i) => phone(3, i)),
    invalid: Array.from({ length: COUNTS.invalid }, (_, i) => phone(4, i)),
  };
  const night = nightNumbers(COUNTS.night);
  const rows = [
    ...[...groups.normal, ...groups.stopped, ...groups.invalid].map(
      (p, i) => `Customer ${i},${p},2025-01-15,Water heater`,
    ),
    ...groups.boiler.map((p, i) => `Boiler ${i},${p},2025-01-15,Boiler`),
    ...night.numbers.map((p, i) => `Abroad ${i},${p},2025-01-15,Water heater`),
  ];
  const imported = await apex.POST("/api/v1/projects/{id}/customer-imports", {
    params: { path: { id: projectId } },
    body: {
      csv: ["name,phone,last job date,job type", ...rows].join("\n"),
      consentBasis: "existing-customer",
      confirm: true,
    },
  });
  const report = answered("import", imported, 200);
  expect(report.created === 1000, `imported ${report.created} of 1000: ${JSON.stringify(report.errors.slice(0, 3))}`);
  console.log(`[e2e-campaign] 1,000 customers imported; project zone ${zone}, night numbers in ${night.zone}`);

  await scriptSimulator(stack, trackingNumber, groups.invalid);
  await fetch(`${stack.twilioSimulatorUrl}/_sim/numbers/${encodeURIComponent(trackingNumber)}`, {
    method: "PUT",
    body: JSON.stringify({ smsUrl: `${baseUrl}/webhooks/twilio/sms?project=${projectId}` }),
  });
  for (const number of groups.stopped) {
    const stop = await fetch(`${stack.twilioSimulatorUrl}/_sim/inbound-sms`, {
      method: "POST",
      body: JSON.stringify({ from: number, to: trackingNumber, body: "STOP" }),
    });
    expect(stop.ok, `STOP from ${number}: ${stop.status}`);
  }

  const draft = async (name: string, jobTypes?: string[]) =>
    answered(
      "draft",
      await apex.POST("/api/v1/campaigns", {
        body: {
          projectId,
          name,
          settings: {
            template: "Hi {{firstName|there}}, it's {{businessName}}. Time for your {{jobType|yearly}} check-up?",
            pacePerSecond: PACE,
            dailyLimit: 5000,
            ...(jobTypes
              ? { audience: { statuses: ["won", "completed"], lastContactOlderThanMonths: 6, jobTypes } }
              : {}),
          },
        },
      }),
      201,
    );

  // An earlier campaign texts the boiler customers: the frequency cap leaves them out of the big one.
  const boilerCampaign = await draft("Boiler service", ["Boiler"]);
  await launchAndWait(apex, boilerCampaign.id, (c) => c.run.state === "completed", 60_000);

  const main = await draft("Winter check-up");
  answered("launch", await apex.POST("/api/v1/campaigns/{id}/launch", { params: { path: { id: main.id } } }), 200);
  // The campaigns' texts: not the STOP confirmations or the owner's alerts, which go from the same number.
  const fromUs = (messages: SimMessage[]) =>
    messages.filter((m) => m.from === trackingNumber && m.direction !== "inbound" && m.body.includes("check-up?"));
  const mainTexts = (messages: SimMessage[]) => fromUs(messages).filter((m) => m.body.includes("Water heater"));
  const killAt = 250;
  for (let i = 0; i < 600 && mainTexts(await simMessages(stack)).length < killAt; i++) await sleep(250);
  await stack.killWorker();
  const beforeCrash = fromUs(await simMessages(stack));
  console.log(
    `[e2e-campaign] Worker killed after ${mainTexts(beforeCrash).length} of the campaign's texts; restarting the stack`,
  );
  await stack.stop();
  stack = undefined;

  stack = await startStack(stackOptions);
  await scriptSimulator(stack, trackingNumber, groups.invalid);
  const expectedSent = COUNTS.normal;
  const done = await waitFor(
    apex,
    main.id,
    (c) =>
      (c.counts.byStatus.queued ?? 0) === COUNTS.night &&
      !c.counts.byStatus.sending &&
      (c.counts.byStatus.sent ?? 0) + (c.counts.byStatus.delivered ?? 0) >= expectedSent,
    10 * 60_000,
  );
  // Everything Twilio accepted, before the crash and after (the simulator kept its journal).
  const texts = fromUs(await simMessages(stack));
  expect(
    beforeCrash.every((m) => texts.some((t) => t.sid === m.sid)),
    "the restarted simulator forgot texts sent before the crash",
  );

  // Every ordinary customer exactly once, across the crash; nobody else but the boiler customers (once, earlier).
  const perPhone = new Map<string, number>();
  for (const m of texts) perPhone.set(m.to, (perPhone.get(m.to) ?? 0) + 1);
  const twice = [...perPhone].filter(([, n]) => n > 1);
  expect(twice.length === 0, `texted more than once: ${JSON.stringify(twice.slice(0, 5))}`);
  const missing = groups.normal.filter((p) => !perPhone.has(p));
  expect(missing.length === 0, `${missing.length} eligible customers never texted, e.g. ${missing.slice(0, 3)}`);
  for (const [name, numbers] of [
    ["opted out", groups.stopped],
    ["refused by the carrier", groups.invalid],
    ["at night", night.numbers],
  ] as const) {
    const texted = numbers.filter((p) => perPhone.has(p));
    expect(texted.length === 0, `${texted.length} customers ${name} were texted`);
  }
  expect(
    groups.boiler.every((p) => perPhone.get(p) === 1),
    "the boiler customers were not texted exactly once",
  );
  // Inside the send window where they live (the project's zone, for numbers with no place).
  const outside = texts.filter((m) => {
    const hour = localHour(m.history[0]?.atMs ?? Date.now(), zone);
    return hour < 9 || hour >= 20;
  });
  expect(outside.length === 0, `${outside.length} texts went outside 09–20 in ${zone}`);
  // The report says who was left out and why.
  const reasons = done.counts.byReason;
  expect(reasons["recent-contact"] === COUNTS.boiler, `recent-contact: ${reasons["recent-contact"]}`);
  expect(reasons["opted-out"] === COUNTS.stopped, `opted-out: ${reasons["opted-out"]}`);
  expect(reasons["quiet-hours"] === COUNTS.night, `quiet-hours: ${reasons["quiet-hours"]}`);
  expect(done.counts.byStatus.failed === COUNTS.invalid, `failed (invalid numbers): ${done.counts.byStatus.failed}`);
  console.log(
    `  ✓ a 1,000-customer campaign survives a killed Worker and a restarted stack: ${mainTexts(texts).length} texts, ` +
      `each eligible customer once (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
} catch (error) {
  failed = true;
  console.log(
    `  ✗ a 1,000-customer campaign survives a restart\n    ${error instanceof Error ? error.message : String(error)}`,
  );
} finally {
  await stack?.stop();
  rmSync(state, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
