import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../schema/db";
import { systemActor } from "../workers/context";
import { dashboard } from "../workers/services/dashboard";
import { request } from "./helpers";
import { seedSystemEntity } from "./system-entities";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";
import { WebBrowser } from "./web-browser";

/**
 * Speed to lead as the owner sees it (#18 item 6): median and p90 from intake
 * to the owner's phone dialled and to the customer connected, per source, over
 * 24 hours and 30 days; and a lead dialled later than the project's target
 * flagged on its page. Leads come through the API; their bridge calls are
 * seeded as the ladder writes them (kind "bridge", leadId, a Twilio timeline),
 * with each step a chosen number of seconds after the lead came in.
 */

interface Figures {
  leads: number;
  dialled: number;
  connected: number;
  dialledMedianSeconds: number | null;
  dialledP90Seconds: number | null;
  connectedMedianSeconds: number | null;
  connectedP90Seconds: number | null;
}
interface SpeedWindow {
  all: Figures;
  bySource: Record<string, Figures>;
}
interface Dashboard {
  speedToLead: { last24Hours: SpeedWindow; last30Days: SpeedWindow };
}

async function lead(tenant: TestTenant, source: string): Promise<{ id: string; createdAt: string }> {
  const response = await request(
    "/api/v1/entities",
    jsonRequest(
      "POST",
      {
        projectId: tenant.projectId,
        type: "lead",
        name: `Lead from ${source}`,
        data: { source, phone: "+15550107000" },
      },
      tenant.auth,
    ),
  );
  if (response.status !== 201) throw new Error(`lead: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A bridge call for `of`, dialled `dialled` seconds after intake and, if given, connected `connected` seconds after. */
async function bridge(
  tenant: TestTenant,
  of: { id: string; createdAt: string },
  dialled: number,
  connected?: number,
): Promise<void> {
  const after = (seconds: number) => new Date(Date.parse(of.createdAt) + seconds * 1000).toISOString();
  const timeline = [
    { status: "queued", at: after(0.1) },
    { status: "initiated", at: after(dialled) },
    { status: "ringing", at: after(dialled + 1) },
    ...(connected === undefined ? [] : [{ status: "connecting-customer", at: after(connected) }]),
  ];
  const call = await seedSystemEntity(tenant, {
    type: "call",
    name: "Bridge",
    status: connected === undefined ? "no-answer" : "completed",
    system: { kind: "bridge", direction: "outbound", leadId: of.id, timeline },
  });
  const linked = await request(
    `/api/v1/entities/${of.id}/relationships`,
    jsonRequest("POST", { toId: call.id, type: "has_call" }, tenant.auth),
  );
  if (linked.status !== 201) throw new Error(`relationship: ${linked.status}`);
}

async function dashboardOver(tenant: TestTenant, query = `?projectId=${tenant.projectId}`): Promise<Dashboard> {
  const response = await request(`/api/v1/dashboard${query}`, { headers: tenant.auth });
  expect(response.status).toBe(200);
  return response.json();
}

/** The service itself, asked as of another moment: the only way to make a lead of today look a day old. */
async function dashboardAt(tenant: TestTenant, now: Date): Promise<Dashboard> {
  const handle = openDatabase(env);
  try {
    const context = { db: handle.db, actor: systemActor(tenant.tenantId, "test") };
    return (await dashboard(context, { projectId: tenant.projectId, now })) as Dashboard;
  } finally {
    await handle.close();
  }
}

const HOUR_MS = 3_600_000;

describe("speed to lead on the dashboard", () => {
  it("each source gets its own median and p90, and all sources together theirs", async () => {
    const owner = await signUpTenant("speed-sources");
    for (const [dialled, connected] of [
      [4, 10],
      [6, 12],
      [8, undefined],
    ] as const) {
      await bridge(owner, await lead(owner, "google-ads"), dialled, connected);
    }
    await bridge(owner, await lead(owner, "form"), 30, 60);
    await bridge(owner, await lead(owner, "form"), 50);
    await lead(owner, "form"); // never dialled: a lead, in no percentile

    const { last24Hours } = (await dashboardOver(owner)).speedToLead;
    expect(last24Hours.bySource["google-ads"]).toEqual({
      leads: 3,
      dialled: 3,
      connected: 2,
      dialledMedianSeconds: 6,
      dialledP90Seconds: 7.6,
      connectedMedianSeconds: 11,
      connectedP90Seconds: 11.8,
    });
    expect(last24Hours.bySource.form).toEqual({
      leads: 3,
      dialled: 2,
      connected: 1,
      dialledMedianSeconds: 40,
      dialledP90Seconds: 48,
      connectedMedianSeconds: 60,
      connectedP90Seconds: 60,
    });
    // 4, 6, 8, 30, 50: the median is the third, p90 interpolates between 30 and 50.
    expect(last24Hours.all).toMatchObject({ leads: 6, dialled: 5, dialledMedianSeconds: 8, dialledP90Seconds: 42 });
  });

  it("a lead's first dial counts, not a later rung or retry of the same lead", async () => {
    const owner = await signUpTenant("speed-rungs");
    const only = await lead(owner, "form");
    await bridge(owner, only, 5);
    await bridge(owner, only, 35, 40);
    const { all } = (await dashboardOver(owner)).speedToLead.last24Hours;
    expect(all).toMatchObject({ leads: 1, dialled: 1, dialledMedianSeconds: 5, connectedMedianSeconds: 40 });
  });

  it("a lead older than 24 hours counts in the 30-day figures but not the 24-hour ones", async () => {
    const owner = await signUpTenant("speed-windows");
    await bridge(owner, await lead(owner, "form"), 12);
    const now = Date.now();

    const sameDay = (await dashboardAt(owner, new Date(now + HOUR_MS))).speedToLead;
    expect(sameDay.last24Hours.all).toMatchObject({ leads: 1, dialledMedianSeconds: 12 });

    const nextDay = (await dashboardAt(owner, new Date(now + 25 * HOUR_MS))).speedToLead;
    expect(nextDay.last24Hours).toEqual({
      all: expect.objectContaining({ leads: 0, dialledMedianSeconds: null }),
      bySource: {},
    });
    expect(nextDay.last30Days.bySource.form).toMatchObject({ leads: 1, dialledMedianSeconds: 12 });

    const monthLater = (await dashboardAt(owner, new Date(now + 31 * 24 * HOUR_MS))).speedToLead;
    expect(monthLater.last30Days.all.leads).toBe(0);
  });

  it("another tenant's leads are in none of the figures", async () => {
    const owner = await signUpTenant("speed-own");
    await bridge(owner, await lead(owner, "form"), 3);
    const stranger = await signUpTenant("speed-stranger");
    await bridge(stranger, await lead(stranger, "stranger-source"), 300);

    const { last24Hours, last30Days } = (await dashboardOver(owner, "")).speedToLead;
    expect(Object.keys(last30Days.bySource)).toEqual(["form"]);
    expect(last24Hours.all).toMatchObject({ leads: 1, dialledMedianSeconds: 3 });
  });
});

describe("the dashboard page", () => {
  it("shows each source's median and p90 for the last 24 hours and 30 days", async () => {
    const owner = await signUpTenant("speed-page");
    await bridge(owner, await lead(owner, "google-ads"), 7, 15);
    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    const { html } = await browser.open("/");
    expect(html).toMatch(/data-testid="dialled-median-24h">7 s</);
    const row = html.match(/<tr data-source="google-ads">(.*?)<\/tr>/)?.[1] ?? "";
    expect(row.match(/7 s \(p90 7 s\)/g)).toHaveLength(2);
    expect(row.match(/15 s \(p90 15 s\)/g)).toHaveLength(2);
  });
});

describe("a slow lead on its page", () => {
  it("a lead dialled later than the project's target is flagged slow, one dialled in time is not", async () => {
    const owner = await signUpTenant("speed-slow-flag");
    // 45 s is within the default 60 s target: only the project's own 30 s makes it slow.
    const path = `/api/v1/projects/${owner.projectId}/speed-to-lead-settings`;
    const current = await request(path, { headers: owner.auth });
    const saved = await request(
      path,
      jsonRequest(
        "PUT",
        { connectTargetSeconds: 30 },
        { ...owner.auth, "if-match": current.headers.get("etag") ?? "" },
      ),
    );
    expect(saved.status).toBe(200);
    const late = await lead(owner, "form");
    await bridge(owner, late, 45, 50);
    const prompt = await lead(owner, "form");
    await bridge(owner, prompt, 10);

    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    const slowPage = (await browser.open(`/leads/${late.id}`)).html;
    expect(slowPage).toContain('data-testid="slow-lead"');
    expect(slowPage).toContain("over the 30 s target");
    const promptPage = (await browser.open(`/leads/${prompt.id}`)).html;
    expect(promptPage).toContain('data-testid="lead-speed"');
    expect(promptPage).not.toContain('data-testid="slow-lead"');
  });
});
