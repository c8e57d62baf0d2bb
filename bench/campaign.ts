/**
 * Issue #16's promise, measured: a campaign to thousands of past customers,
 * imported through the API, launched, and sent to the Twilio simulator at
 * the campaign's pace. The simulator holds the sending number to the same
 * pace (Twilio's 429/20429 above it), so the sender has to keep to it.
 *
 * What counts: the launch round trip (it fixes every recipient in one
 * transaction: the time to enqueue), the sustained rate between the first
 * and the last text against the configured pace, and every recipient texted
 * exactly once — read from what the simulator received, not from Apex's own
 * counters.
 */
import { localHour, ZONES } from "../dev/local-hours.ts";
import { bridgeProject } from "./intake.ts";
import { percentile } from "./percentile.ts";

export interface CampaignResult {
  recipients: number;
  /** The campaign's pacePerSecond, and the simulator's pace for its number. */
  pacePerSecond: number;
  /** The project's zone (the simulator's numbers carry no place): one where it is now 10:00–17:59. */
  zone: string;
  importMs: number;
  imported: number;
  /** POST /campaigns/{id}/launch round trip: the recipients fixed and the sending started. */
  launchMs: number;
  /** Recipients queued by the launch, and left out (with reasons in the campaign's counts). */
  queued: number;
  excluded: number;
  /** The run's state when the bench stopped waiting ("completed" unless it timed out or paused). */
  state: string;
  pausedReason?: string;
  timedOut: boolean;
  /** Texts the simulator accepted from the campaign's number. */
  sent: number;
  /** Recipients texted more than once (must be 0). */
  duplicates: number;
  /** Recipients never texted (must be 0). */
  missing: number;
  /** Launch request sent → the simulator received the first text. */
  firstTextMs: number | null;
  /** (texts − 1) / (last text − first text), texts per second. */
  ratePerSecond: number | null;
  rateToPace: number | null;
  /** Gaps between consecutive texts as the simulator received them. */
  gapP50Ms: number | null;
  gapP99Ms: number | null;
  gapMaxMs: number | null;
  /** Texts the simulator refused with 429/20429 (the sender over the pace). */
  throttled: number;
  /** Launch request sent → the run seen completed (or the wait given up). */
  wallSeconds: number;
}

interface CampaignOptions {
  baseUrl: string;
  twilioSimulatorUrl: string;
  recipients: number;
  pacePerSecond: number;
}

interface SimMessage {
  from: string;
  to: string;
  direction: string;
  history: { status: string; atMs: number }[];
}

interface SimRefusal {
  from: string;
  code: number;
}

interface CampaignView {
  id: string;
  run: { state: string; pausedReason?: string };
  counts: { byStatus: Record<string, number>; total: number };
}

/** The simulator's texts from this number: outside the recipients' range, so no recipient is also the sender. */
const SENDING_NUMBER = "+15559990001";

/** Past customers per import request: the import takes up to 10,000 rows; the setup is not what this measures. */
const IMPORT_ROWS_PER_REQUEST = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A zone where it is now between 10:00 and 17:59, the nearest to 14:00:
 * campaign texts go only 09–20 in the recipient's zone, and a long run must
 * not reach the window's end. The list's offsets are never more than eight
 * hours apart, so one always fits.
 */
function daytimeZone(now: Date): string {
  const daytime = ZONES.filter((z) => localHour(now, z) >= 10 && localHour(now, z) < 18);
  const zone = [...daytime].sort((a, b) => Math.abs(localHour(now, a) - 14) - Math.abs(localHour(now, b) - 14))[0];
  if (!zone) throw new Error(`no zone of ${ZONES.join(", ")} is between 10:00 and 18:00 now`);
  return zone;
}

/** The n-th recipient's phone: +15551000000 onwards, a range nothing else in the bench uses as a sender. */
const recipientPhone = (n: number) => `+1555${String(1_000_000 + n).padStart(7, "0")}`;

async function call<T>(url: string, init: RequestInit, what: string, expected: number): Promise<T> {
  const response = await fetch(url, init);
  if (response.status !== expected) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A campaign imported, drafted and launched: the bench measures it (measureCampaign) or runs leads beside it (intake.ts). */
export interface LaunchedCampaign {
  api: string;
  auth: Record<string, string>;
  campaignId: string;
  sendingNumber: string;
  zone: string;
  phones: string[];
  importMs: number;
  imported: number;
  launchedAt: number;
  launchMs: number;
  launched: CampaignView;
}

/**
 * A new tenant's project with `recipients` past customers imported through
 * the API and one campaign to them launched at `pacePerSecond` from
 * `sendingNumber` (the simulator holds that number to the same pace).
 */
export async function launchCampaign(options: CampaignOptions & { sendingNumber?: string }): Promise<LaunchedCampaign> {
  const { baseUrl, twilioSimulatorUrl, recipients, pacePerSecond } = options;
  const sendingNumber = options.sendingNumber ?? SENDING_NUMBER;
  const zone = daytimeZone(new Date());
  const { owner } = await bridgeProject(options);
  const api = `${baseUrl}/api/v1`;
  const settingsUrl = `${api}/projects/${owner.projectId}/speed-to-lead-settings`;
  const current = await fetch(settingsUrl, { headers: owner.auth });
  const settings = (await current.json()) as Record<string, unknown>;
  await call(
    settingsUrl,
    {
      method: "PUT",
      headers: { ...owner.auth, "if-match": current.headers.get("etag") ?? "" },
      body: JSON.stringify({ ...settings, trackingNumber: sendingNumber, timezone: zone }),
    },
    "the project's number and zone",
    200,
  );

  const rows = Array.from(
    { length: recipients },
    (_, i) => `Customer${i} Bench,${recipientPhone(i)},2025-01-15,Furnace tune-up`,
  );
  const importStarted = performance.now();
  let created = 0;
  for (let start = 0; start < rows.length; start += IMPORT_ROWS_PER_REQUEST) {
    const part = rows.slice(start, start + IMPORT_ROWS_PER_REQUEST);
    const imported = await call<{ created: number; errors: unknown[] }>(
      `${api}/projects/${owner.projectId}/customer-imports`,
      {
        method: "POST",
        headers: owner.auth,
        body: JSON.stringify({
          csv: `name,phone,last job date,job type\n${part.join("\n")}\n`,
          consentBasis: "existing-customer",
          confirm: true,
        }),
      },
      "customer import",
      200,
    );
    if (imported.created !== part.length) {
      throw new Error(
        `customer import created ${imported.created} of ${part.length}: ${JSON.stringify(imported.errors)}`,
      );
    }
    created += imported.created;
  }
  const importMs = Math.round(performance.now() - importStarted);

  const campaign = await call<CampaignView>(
    `${api}/campaigns`,
    {
      method: "POST",
      headers: owner.auth,
      body: JSON.stringify({
        projectId: owner.projectId,
        name: `Bench ${recipients} at ${pacePerSecond}/s`,
        settings: {
          template: "Hi {{firstName|there}}, it's {{businessName}}. Time for a check-up?",
          pacePerSecond,
          dailyLimit: 50_000,
        },
      }),
    },
    "campaign draft",
    201,
  );
  await call(
    `${twilioSimulatorUrl}/_sim/senders/${encodeURIComponent(sendingNumber)}`,
    { method: "PUT", body: JSON.stringify({ perSecond: pacePerSecond }) },
    "the simulator's pace",
    200,
  );

  const launchedAt = Date.now();
  const launched = await call<CampaignView>(
    `${api}/campaigns/${campaign.id}/launch`,
    { method: "POST", headers: owner.auth, body: "{}" },
    "launch",
    200,
  );
  const launchMs = Date.now() - launchedAt;
  console.log(`[bench] campaign: launched in ${launchMs} ms, ${launched.counts.byStatus.queued ?? 0} queued`);

  return {
    api,
    auth: owner.auth,
    campaignId: campaign.id,
    sendingNumber,
    zone,
    phones: rows.map((_, i) => recipientPhone(i)),
    importMs,
    imported: created,
    launchedAt,
    launchMs,
    launched,
  };
}

/** Texts the simulator has accepted from a number so far, by recipient and time. */
export async function textsFrom(twilioSimulatorUrl: string, sendingNumber: string) {
  const sim = (await (await fetch(`${twilioSimulatorUrl}/_sim/messages`)).json()) as {
    messages: SimMessage[];
    refused: SimRefusal[];
  };
  const texts = sim.messages
    .filter((m) => m.from === sendingNumber && m.direction === "outbound-api")
    .map((m) => ({ to: m.to, atMs: m.history[0]?.atMs ?? 0 }))
    .sort((a, b) => a.atMs - b.atMs);
  const throttled = sim.refused.filter((r) => r.from === sendingNumber && r.code === 20429).length;
  return { texts, throttled };
}

export async function measureCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const { twilioSimulatorUrl, recipients, pacePerSecond } = options;
  const { api, auth, campaignId, zone, phones, importMs, imported, launchedAt, launchMs, launched } =
    await launchCampaign(options);
  // Wait for the run to finish; a sender far below the pace is reported as it is, not waited for forever.
  const deadline = launchedAt + (recipients / pacePerSecond) * 3_000 + 120_000;
  let view = launched;
  let lastLog = 0;
  while (view.run.state === "running" && Date.now() < deadline) {
    await sleep(3_000);
    view = await call<CampaignView>(`${api}/campaigns/${campaignId}`, { headers: auth }, "campaign", 200);
    if (Date.now() - lastLog >= 15_000) {
      lastLog = Date.now();
      const seconds = Math.round((Date.now() - launchedAt) / 1000);
      console.log(`[bench] campaign: ${seconds} s, ${view.run.state}, ${JSON.stringify(view.counts.byStatus)}`);
    }
  }
  const wallSeconds = (Date.now() - launchedAt) / 1000;
  const timedOut = view.run.state === "running";
  if (timedOut) {
    // Stop it, so what comes after in the bench is not measured beside it.
    await fetch(`${api}/campaigns/${campaignId}/cancel`, { method: "POST", headers: auth, body: "{}" });
  }

  const { texts, throttled } = await textsFrom(twilioSimulatorUrl, SENDING_NUMBER);
  const perPhone = new Map<string, number>();
  for (const text of texts) perPhone.set(text.to, (perPhone.get(text.to) ?? 0) + 1);
  const gaps = texts.slice(1).map((text, i) => text.atMs - (texts[i]?.atMs ?? text.atMs));
  const first = texts[0];
  const last = texts[texts.length - 1];
  const span = first && last ? (last.atMs - first.atMs) / 1000 : 0;
  const rate = span > 0 ? (texts.length - 1) / span : null;
  return {
    recipients,
    pacePerSecond,
    zone,
    importMs,
    imported,
    launchMs,
    queued: launched.counts.byStatus.queued ?? 0,
    excluded: launched.counts.byStatus.excluded ?? 0,
    state: view.run.state,
    ...(view.run.pausedReason ? { pausedReason: view.run.pausedReason } : {}),
    timedOut,
    sent: texts.length,
    duplicates: [...perPhone.values()].filter((n) => n > 1).length,
    missing: phones.filter((phone) => !perPhone.has(phone)).length,
    firstTextMs: first ? first.atMs - launchedAt : null,
    ratePerSecond: rate === null ? null : Number(rate.toFixed(2)),
    rateToPace: rate === null ? null : Number((rate / pacePerSecond).toFixed(2)),
    gapP50Ms: percentile(gaps, 50),
    gapP99Ms: percentile(gaps, 99),
    gapMaxMs: gaps.length > 0 ? Math.max(...gaps) : null,
    throttled,
    wallSeconds: Math.round(wallSeconds),
  };
}

const ms = (value: number | null) => (value === null ? "—" : String(Math.round(value)));

/** The campaign table for bench/results/latest.md. */
export function campaignMarkdown(campaign: { date: string } & CampaignResult): string {
  const c = campaign;
  const state = c.timedOut ? "timed out (cancelled)" : c.pausedReason ? `${c.state} (${c.pausedReason})` : c.state;
  const lines = [
    `## Campaign (${c.date})`,
    "",
    "Past customers imported through the API, one campaign launched to them, its texts counted at the Twilio",
    "simulator, which holds the sending number to the campaign's pace (429 above it). Every recipient must be",
    `texted exactly once. The project's zone was ${c.zone}; the run ended ${state}.`,
    "",
    "| recipients | pace /s | import ms | launch (enqueue) ms | launch → first text ms | sent | texted twice | never texted | sustained /s | ratio to pace | gap p50 / p99 / max ms | 429s | wall s |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    `| ${c.recipients} | ${c.pacePerSecond} | ${c.importMs} | ${c.launchMs} | ${ms(c.firstTextMs)} | ${c.sent} | ${c.duplicates} | ${c.missing} | ${c.ratePerSecond ?? "—"} | ${c.rateToPace ?? "—"} | ${ms(c.gapP50Ms)} / ${ms(c.gapP99Ms)} / ${ms(c.gapMaxMs)} | ${c.throttled} | ${c.wallSeconds} |`,
  ];
  return `${lines.join("\n")}\n`;
}
