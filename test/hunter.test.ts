import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it, vi } from "vitest";
import { zoneWhereItIs } from "../dev/local-hours";
import { openDatabase } from "../schema/db";
import { systemActor } from "../workers/context";
import { runScheduledHunt } from "../workers/hunter/hunts";
import { huntScheduleKey } from "../workers/hunter/schedule";
import { spendGate } from "../workers/services/spend-gate";
import { request } from "./helpers";
import { configureHunter, huntOn, lane, laneRequests, post, setMode } from "./hunter";
import { jsonRequest, saveSpeedToLeadSettings, signUpTenant, type TestTenant } from "./tenants";
import { simCalls, simMessages, testPhone } from "./twilio";

/**
 * The lead hunter (#15): a real headless browser reads job boards whose posts
 * only client-side JavaScript renders; matching posts become leads once,
 * with where they came from and a screenshot; a board that refuses or hangs
 * fails alone; and nobody found this way is called unless the owner opted in.
 */
const handle = openDatabase(env);
afterAll(() => handle.close());

const HUNT_TIMEOUT = 120_000;

interface LeadView {
  id: string;
  name: string;
  status: string | null;
  data: Record<string, unknown>;
  system: {
    hunt?: Record<string, unknown> & { screenshot?: { stored: boolean } };
    score?: { value: number };
    bridge?: { status: string };
  };
}

const getLead = async (tenant: TestTenant, id: string) =>
  (await request(`/api/v1/entities/${id}`, { headers: tenant.auth })).json<LeadView>();

/** A plumber's shop whose phones and tracking number are set, in a zone where it is daytime now. */
async function shop(label: string) {
  const tenant = await signUpTenant(label);
  const ownerPhone = testPhone();
  const trackingNumber = testPhone();
  await saveSpeedToLeadSettings(tenant, { ownerPhone, trackingNumber, timezone: zoneWhereItIs(9, 20) });
  return { tenant, ownerPhone, trackingNumber };
}

async function hunterFor(tenant: TestTenant, settings: Record<string, unknown>) {
  const saved = await configureHunter(tenant, {
    platforms: ["gigs"],
    keywords: ["water heater", "drain"],
    places: ["Austin", "Round Rock"],
    maxPagesPerRun: 2,
    ...settings,
  });
  if (saved.status !== 200) throw new Error(`hunter settings: ${saved.status} ${await saved.text()}`);
}

const AUSTIN_POSTS = [
  post("w-1", { title: "Leaking water heater in the garage", place: "Austin", phone: "512-555-0101" }),
  post("w-2", { title: "Water heater pilot keeps going out", place: "Round Rock" }),
  post("w-3", { title: "Water heater replacement quote", place: "Dallas", city: "Dallas", lat: 32.78, lon: -96.8 }),
  post("w-4", {
    title: "Paint the hallway ceiling",
    body: "Water stains near the heater closet need primer and paint.",
    place: "Austin",
  }),
  post("w-5", { title: "Water heater install, members only", place: "Austin", private: true }),
  post("w-6", { title: "Clogged drain in the kitchen sink", place: "Austin", email: "Sam@Example.com" }),
  post("w-7", { title: "Mow and edge a small lawn", place: "Austin" }),
];

describe("a hunt on a board that renders its posts with JavaScript", () => {
  it(
    "makes a lead of exactly the posts that match the keywords and places, each once",
    async () => {
      const { tenant } = await shop("hunt-exact");
      await hunterFor(tenant, {});
      const gigs = await lane("gigs", "exact", AUSTIN_POSTS);
      const { result } = await huntOn(tenant, { gigs }, handle.db);
      expect(result.platforms[0]?.status).toBe("completed");
      const names = await Promise.all(result.leadIds.map(async (id) => (await getLead(tenant, id)).name));
      expect(names.sort()).toEqual([
        "Clogged drain in the kitchen sink",
        "Leaking water heater in the garage",
        "Water heater pilot keeps going out",
      ]);
      expect(result.created).toBe(3);
    },
    HUNT_TIMEOUT,
  );

  it(
    "records where each lead was found, the text it was read from and a screenshot of the page",
    async () => {
      const { tenant } = await shop("hunt-provenance");
      await hunterFor(tenant, { keywords: ["water heater"], places: ["Austin"] });
      const gigs = await lane("gigs", "provenance", [AUSTIN_POSTS[0] as (typeof AUSTIN_POSTS)[number]]);
      const { result } = await huntOn(tenant, { gigs }, handle.db);
      const lead = await getLead(tenant, result.leadIds[0] as string);
      expect(lead.data).toMatchObject({ phone: "+15125550101", source: "hunter:gigs" });
      expect(lead.system.hunt).toMatchObject({
        platform: "gigs",
        url: `${gigs}/gig/w-1`,
        keyword: "water heater",
        place: "Austin",
        publicPhone: "+15125550101",
        screenshot: { stored: true },
      });
      expect(String(lead.system.hunt?.sourceText)).toContain("Leaking water heater in the garage");
      expect(Date.parse(String(lead.system.hunt?.fetchedAt))).toBeGreaterThan(Date.now() - HUNT_TIMEOUT);
      const shot = await request(`/api/v1/leads/${lead.id}/hunt-screenshot`, { headers: tenant.auth });
      expect(shot.status).toBe(200);
      const bytes = new Uint8Array(await shot.arrayBuffer());
      expect([...bytes.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    },
    HUNT_TIMEOUT,
  );

  it(
    "creates nothing on a second run over the same posts",
    async () => {
      const { tenant } = await shop("hunt-again");
      await hunterFor(tenant, {});
      const gigs = await lane("gigs", "again", AUSTIN_POSTS);
      const first = await huntOn(tenant, { gigs }, handle.db);
      const second = await huntOn(tenant, { gigs }, handle.db);
      expect(first.result.created).toBe(3);
      expect(second.result.created).toBe(0);
      expect(second.result.duplicates).toBeGreaterThanOrEqual(3);
    },
    HUNT_TIMEOUT,
  );

  it(
    "never opens a page under a path robots.txt disallows",
    async () => {
      const { tenant } = await shop("hunt-robots");
      await hunterFor(tenant, { keywords: ["water heater"], places: ["Austin"] });
      const gigs = await lane("gigs", "robots", AUSTIN_POSTS);
      const { result } = await huntOn(tenant, { gigs }, handle.db);
      const asked = await laneRequests(gigs);
      expect(asked.some((path) => path.includes("/private/"))).toBe(false);
      expect(result.platforms[0]?.disallowed).toBeGreaterThanOrEqual(1);
    },
    HUNT_TIMEOUT,
  );

  it(
    "keeps a post that is already a lead by its phone number as that lead",
    async () => {
      const { tenant } = await shop("hunt-known-phone");
      await hunterFor(tenant, { keywords: ["water heater"], places: ["Austin"] });
      const made = await request(
        "/api/v1/entities",
        jsonRequest(
          "POST",
          { projectId: tenant.projectId, type: "lead", name: "Known caller", data: { phone: "+15125550101" } },
          tenant.auth,
        ),
      );
      const known = await made.json<{ id: string }>();
      const gigs = await lane("gigs", "known-phone", [AUSTIN_POSTS[0] as (typeof AUSTIN_POSTS)[number]]);
      const { result } = await huntOn(tenant, { gigs }, handle.db);
      expect(result.created).toBe(0);
      expect(result.duplicates).toBe(1);
      expect((await getLead(tenant, known.id)).name).toBe("Known caller");
    },
    HUNT_TIMEOUT,
  );
});

describe("a board that refuses or hangs", () => {
  it(
    "fails alone with its 429 named on the result, and the other board's posts are still found",
    async () => {
      const { tenant } = await shop("hunt-429");
      await hunterFor(tenant, { platforms: ["gigs", "trades"], keywords: ["water heater"], places: ["Austin"] });
      const gigs = await lane("gigs", "refusing", AUSTIN_POSTS);
      await setMode(gigs, "429");
      const trades = await lane("trades", "fine", [post("t-1", { title: "Water heater leaking", place: "Austin" })]);
      const { result } = await huntOn(tenant, { gigs, trades }, handle.db);
      const [gigBoard, tradeBoard] = result.platforms;
      expect(gigBoard?.status).toBe("failed");
      expect(gigBoard?.error).toMatch(/429 Too Many Requests after 3 tries/);
      expect(tradeBoard?.status).toBe("completed");
      expect(tradeBoard?.created).toBe(1);
    },
    HUNT_TIMEOUT,
  );

  it(
    "fails a hanging board after the page timeout, and the run finishes",
    async () => {
      const { tenant } = await shop("hunt-hang");
      await hunterFor(tenant, { platforms: ["trades", "gigs"], keywords: ["drain"], places: ["Austin"] });
      const trades = await lane("trades", "hanging");
      await setMode(trades, "hang");
      const gigs = await lane("gigs", "after-hang", AUSTIN_POSTS);
      const { result } = await huntOn(tenant, { gigs, trades }, handle.db);
      expect(result.platforms[0]).toMatchObject({ platform: "trades", status: "failed" });
      expect(result.platforms[0]?.error).toMatch(/did not answer within 4 s/);
      expect(result.platforms[1]).toMatchObject({ platform: "gigs", status: "completed", created: 1 });
    },
    HUNT_TIMEOUT,
  );
});

/** The hunted lead once scoring has run on the queue and decided about the owner's alert. */
const scored = (tenant: TestTenant, id: string) =>
  vi.waitFor(
    async () => {
      const lead = await getLead(tenant, id);
      if (!lead.system.score) throw new Error("not scored yet");
      return lead;
    },
    { timeout: 30_000, interval: 250 },
  );

describe("who is contacted about a hunted lead", () => {
  const urgent = (phone: string) =>
    post("hot-1", {
      title: "Burst water heater flooding the garage",
      body: "Emergency: the water heater burst and is flooding the garage right now. Need a plumber ASAP today.",
      place: "Austin",
      phone,
    });

  it(
    "alerts the owner about a hot post and never dials the poster under the default policy",
    async () => {
      const { tenant, ownerPhone } = await shop("hunt-default-policy");
      await hunterFor(tenant, { keywords: ["water heater"], places: ["Austin"] });
      const poster = testPhone();
      const gigs = await lane("gigs", "default-policy", [urgent(poster)]);
      const { result } = await huntOn(tenant, { gigs }, handle.db);
      const lead = await scored(tenant, result.leadIds[0] as string);
      expect(lead.system.score?.value).toBeGreaterThanOrEqual(60);
      await vi.waitFor(
        async () => {
          const alert = (await simMessages()).find((m) => m.to === ownerPhone && m.body.startsWith("New job on"));
          if (!alert) throw new Error("no alert yet");
          expect(alert.body).toContain("Burst water heater flooding the garage, Austin");
        },
        { timeout: 20_000, interval: 250 },
      );
      // Scoring has finished and alerted: any bridge would have started by now.
      const after = await getLead(tenant, lead.id);
      expect(after.system.bridge).toBeUndefined();
      expect((await simCalls()).filter((c) => c.to === ownerPhone || c.to === poster)).toEqual([]);
    },
    HUNT_TIMEOUT,
  );

  it(
    "dials a poster who published a phone exactly once when the owner opted in",
    async () => {
      const { tenant, ownerPhone } = await shop("hunt-opt-in");
      await hunterFor(tenant, {
        keywords: ["water heater"],
        places: ["Austin"],
        contactPolicy: "bridge-public-phone",
      });
      const poster = testPhone();
      const gigs = await lane("gigs", "opt-in", [urgent(poster)]);
      const { result } = await huntOn(tenant, { gigs }, handle.db);
      const leadId = result.leadIds[0] as string;
      await scored(tenant, leadId);
      await vi.waitFor(
        async () => {
          const lead = await getLead(tenant, leadId);
          if (!lead.system.bridge) throw new Error("no bridge yet");
          expect(lead.system.bridge.status).not.toBe("skipped");
        },
        { timeout: 20_000, interval: 250 },
      );
      // Scoring again (a retried ticket, a second scorer run) starts no second call.
      const again = await request(
        "/api/v1/tasks/lead_scorer",
        jsonRequest("POST", { params: { leadId } }, tenant.auth),
      );
      expect([200, 202]).toContain(again.status);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect((await simCalls()).filter((c) => c.to === ownerPhone)).toHaveLength(1);
    },
    HUNT_TIMEOUT,
  );

  it("records in the audit log who switched the project to calling posters", async () => {
    const { tenant } = await shop("hunt-opt-in-audit");
    await hunterFor(tenant, { contactPolicy: "bridge-public-phone" });
    const audit = await request("/api/v1/audit?entityType=dna&limit=10", { headers: tenant.auth });
    const rows = (await audit.json<{ items: { actor: { userId?: string; id?: string } | string; after: unknown }[] }>())
      .items;
    const switched = rows.find((row) => JSON.stringify(row.after).includes("modules.leadHunter.contactPolicy"));
    expect(switched).toBeDefined();
    expect(JSON.stringify(switched)).toContain(tenant.userId);
    expect(JSON.stringify(switched?.after)).toContain("bridge-public-phone");
  });
});

describe("starting a hunt", () => {
  it(
    "joins the running hunt when Hunt now is pressed twice, and reports progress per board and page",
    async () => {
      const { tenant } = await shop("hunt-now");
      await hunterFor(tenant, { keywords: ["toilet"], places: ["Cedar Park"], maxPagesPerRun: 1 });
      const start = () =>
        request(
          "/api/v1/tasks/sniper_agent",
          jsonRequest("POST", { params: { projectId: tenant.projectId } }, tenant.auth),
        );
      const first = await start();
      const second = await start();
      expect(first.status).toBe(202);
      const [a, b] = [await first.json<{ id: string }>(), await second.json<{ id: string }>()];
      expect(b.id).toBe(a.id);
      const done = await vi.waitFor(
        async () => {
          const ticket = await (await request(`/api/v1/tickets/${a.id}`, { headers: tenant.auth })).json<{
            status: string;
            message: string;
            result: { platforms: { platform: string; status: string; pages: number }[] } | null;
          }>();
          if (ticket.status !== "completed") throw new Error(`still ${ticket.status}: ${ticket.message}`);
          return ticket;
        },
        { timeout: HUNT_TIMEOUT - 10_000, interval: 500 },
      );
      expect(done.result?.platforms[0]).toMatchObject({ platform: "gigs", status: "completed", pages: 1 });
      expect(done.message).toMatch(/^Done: \d+ new/);
    },
    HUNT_TIMEOUT,
  );

  it("answers Hunt now with a 422 naming the keywords when there are none, and starts nothing", async () => {
    const { tenant } = await shop("hunt-now-no-keywords");
    const started = await request(
      "/api/v1/tasks/sniper_agent",
      jsonRequest("POST", { params: { projectId: tenant.projectId } }, tenant.auth),
    );
    expect(started.status).toBe(422);
    expect(await started.text()).toContain("modules.leadHunter.keywords");
    const tenantObject = env.TENANT.getByName(tenant.tenantId);
    expect(await tenantObject.listProjectTickets("sniper_agent", tenant.projectId)).toEqual([]);
  });

  it("refuses a hunt without keywords, naming the field", async () => {
    const { tenant } = await shop("hunt-no-keywords");
    const saved = await configureHunter(tenant, { keywords: [""] });
    expect(saved.status).toBe(422);
    expect(await saved.text()).toContain("keywords");
  });
});

describe("what a hunt costs", () => {
  it(
    "bills the browser's seconds to the project's usage",
    async () => {
      const { tenant } = await shop("hunt-usage");
      await hunterFor(tenant, { keywords: ["water heater"], places: ["Austin"] });
      const gigs = await lane("gigs", "usage", [AUSTIN_POSTS[0] as (typeof AUSTIN_POSTS)[number]]);
      const { result } = await huntOn(tenant, { gigs }, handle.db);
      const usage = await (await request(`/api/v1/projects/${tenant.projectId}/usage`, { headers: tenant.auth })).json<{
        resources: { resource: string; quantity: number }[];
      }>();
      const seconds = usage.resources.find((r) => r.resource === "browser_second")?.quantity ?? 0;
      expect(result.browserSeconds).toBeGreaterThan(0);
      // Billed page by page as each closed: the ledger holds the run's own sum.
      expect(Math.abs(seconds - result.browserSeconds)).toBeLessThan(0.2);
    },
    HUNT_TIMEOUT,
  );

  it("stops the hunter first at the spend cap: no hunt past 80 %, while optional AI still runs", async () => {
    const { tenant } = await shop("hunt-cap");
    await hunterFor(tenant, {});
    const cap = await request(
      `/api/v1/projects/${tenant.projectId}/spend-cap`,
      jsonRequest("PUT", { monthlyCapUsd: 1 }, tenant.auth),
    );
    expect(cap.status).toBe(200);
    // 107 text segments at $0.0079: $0.85, between the hunter's 80 % and optional AI's 90 %.
    const logged = await request(
      "/api/v1/tasks/log_usage",
      jsonRequest(
        "POST",
        { params: { projectId: tenant.projectId, resource: "sms_segment", quantity: 107 } },
        tenant.auth,
      ),
    );
    expect(logged.status).toBe(200);
    const refused = await request(
      "/api/v1/tasks/sniper_agent",
      jsonRequest("POST", { params: { projectId: tenant.projectId } }, tenant.auth),
    );
    expect(refused.status).toBe(402);
    expect(await refused.text()).toContain("The lead hunter paused");
    const context = { env, db: handle.db, actor: systemActor(tenant.tenantId, "hunt-cap-test") };
    expect(await spendGate(tenant.projectId, "optional-ai", context)).toEqual({ allowed: true });
  });
});

describe("the hunter's schedule", () => {
  it("is armed when the hunter is enabled, and its wake-up starts a hunt inside the window", async () => {
    const { tenant } = await shop("hunt-schedule");
    await hunterFor(tenant, {
      enabled: true,
      keywords: ["fence"],
      places: ["Cedar Park"],
      maxPagesPerRun: 1,
      schedule: {
        everyMinutes: 15,
        days: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
        from: "00:00",
        to: "23:59",
      },
    });
    const tenantObject = env.TENANT.getByName(tenant.tenantId);
    const due = await tenantObject.wakeUpDueAt(huntScheduleKey(tenant.projectId));
    expect(due).not.toBeNull();
    const context = { env, db: handle.db, actor: systemActor(tenant.tenantId, "hunt-schedule-test") };
    const woke = await runScheduledHunt(tenant.projectId, "runner-1", context);
    expect(woke.outcome).toBe("started");
    const tickets = await tenantObject.listProjectTickets("sniper_agent", tenant.projectId);
    expect(tickets.map((t) => t.id)).toContain(woke.ticketId);
    // The next one is 15 minutes on.
    const next = await tenantObject.wakeUpDueAt(huntScheduleKey(tenant.projectId));
    expect(next).toBeGreaterThan(Date.now() + 14 * 60_000);
  });

  it("stops its wake-up once the hunter is disabled", async () => {
    const { tenant } = await shop("hunt-schedule-off");
    await hunterFor(tenant, { enabled: true });
    await hunterFor(tenant, { enabled: false });
    const context = { env, db: handle.db, actor: systemActor(tenant.tenantId, "hunt-schedule-test") };
    expect((await runScheduledHunt(tenant.projectId, "runner-1", context)).outcome).toBe("stopped");
    expect(await env.TENANT.getByName(tenant.tenantId).wakeUpDueAt(huntScheduleKey(tenant.projectId))).toBeNull();
  });
});
