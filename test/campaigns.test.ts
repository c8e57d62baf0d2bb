import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it, vi } from "vitest";
import { zoneWhereItIs } from "../dev/local-hours";
import { openDatabase } from "../schema/db";
import { withTenant } from "../schema/tenant-transaction";
import { systemActor } from "../workers/context";
import { updateRecipient } from "../workers/repositories/campaign-recipients";
import { setOptOut } from "../workers/repositories/opt-outs";
import { reviseEntity } from "../workers/services/entities";
import { request } from "./helpers";
import { jsonRequest, memberOf, signUpTenant, type TestTenant } from "./tenants";
import { configureNumber, deliverTwilioWebhooks, simMessages, simulateInboundSms, testPhone } from "./twilio";

/**
 * Reactivation campaigns (#16): preview, launch, sending under the one
 * contact gate (consent, quiet hours in the recipient's zone, the frequency
 * cap, STOP), delivery reports, replies, and never a text twice.
 */
const handle = openDatabase(env);
afterAll(() => handle.close());

interface Campaign {
  id: string;
  run: { state: string; pausedReason?: string };
  counts: { byStatus: Record<string, number>; byReason: Record<string, number>; replied: number; total: number };
}
interface Recipient {
  leadId: string;
  phone: string;
  status: string;
  reason: string | null;
  notBefore: string | null;
  repliedAt: string | null;
  body: string | null;
}

interface Shop {
  tenant: TestTenant;
  ownerPhone: string;
  trackingNumber: string;
}

async function shop(label: string, timezone: string): Promise<Shop> {
  const tenant = await signUpTenant(label);
  const ownerPhone = testPhone();
  const trackingNumber = testPhone();
  const path = `/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`;
  const etag = (await request(path, { headers: tenant.auth })).headers.get("etag") ?? "";
  const saved = await request(
    path,
    jsonRequest("PUT", { ownerPhone, trackingNumber, timezone }, { ...tenant.auth, "if-match": etag }),
  );
  if (saved.status !== 200) throw new Error(`settings: ${saved.status} ${await saved.text()}`);
  return { tenant, ownerPhone, trackingNumber };
}

/** Past customers imported with an attested consent basis; their numbers, in file order. */
async function importCustomers(s: Shop, names: string[]): Promise<string[]> {
  const phones = names.map(() => testPhone());
  const csv = [
    "name,phone,last job date,job type",
    ...names.map((n, i) => `${n},${phones[i]},2025-01-15,Water heater`),
  ];
  const imported = await request(
    `/api/v1/projects/${s.tenant.projectId}/customer-imports`,
    jsonRequest("POST", { csv: csv.join("\n"), consentBasis: "existing-customer", confirm: true }, s.tenant.auth),
  );
  if (imported.status !== 200) throw new Error(`import: ${imported.status} ${await imported.text()}`);
  return phones;
}

const TEMPLATE = "Hi {{firstName|there}}, it's {{businessName}}. Time for a {{jobType|check-up}}? {{offer|}}";

async function draft(s: Shop, settings: Record<string, unknown> = {}, name = "Winter check-up"): Promise<Campaign> {
  const made = await request(
    "/api/v1/campaigns",
    jsonRequest(
      "POST",
      { projectId: s.tenant.projectId, name, settings: { template: TEMPLATE, pacePerSecond: 20, ...settings } },
      s.tenant.auth,
    ),
  );
  if (made.status !== 201) throw new Error(`draft: ${made.status} ${await made.text()}`);
  return made.json<Campaign>();
}

const act = (s: Shop, id: string, action: string, headers = s.tenant.auth) =>
  request(`/api/v1/campaigns/${id}/${action}`, { method: "POST", headers });

const campaign = async (s: Shop, id: string) =>
  (await request(`/api/v1/campaigns/${id}`, { headers: s.tenant.auth })).json<Campaign>();

const recipients = async (s: Shop, id: string) =>
  (
    await (
      await request(`/api/v1/campaigns/${id}/recipients?limit=500`, { headers: s.tenant.auth })
    ).json<{
      items: Recipient[];
    }>()
  ).items;

const textsTo = async (phone: string) => (await simMessages()).filter((m) => m.to === phone);

const finished = (s: Shop, id: string) =>
  vi.waitFor(
    async () => {
      const c = await campaign(s, id);
      if (c.run.state !== "completed") throw new Error(`still ${c.run.state}`);
      return c;
    },
    { timeout: 30_000, interval: 250 },
  );

describe("a reactivation campaign", () => {
  it("previews its audience, names who is left out and why, and writes nothing", async () => {
    const s = await shop("campaign-preview", zoneWhereItIs(10, 18));
    const [ann, bob, cat] = await importCustomers(s, ["Ann Lee", "Bob Ray", "Cat Fox"]);
    await withTenant(handle.db, s.tenant.tenantId, (tx) =>
      setOptOut(tx, s.tenant.tenantId, bob as string, true, "STOP"),
    );
    // Cat is in the pipeline again: a new lead with her number.
    await request(
      "/api/v1/entities",
      jsonRequest(
        "POST",
        { projectId: s.tenant.projectId, type: "lead", name: "Cat", data: { phone: cat } },
        s.tenant.auth,
      ),
    );
    // A won lead typed in by hand never gave consent to marketing.
    await request(
      "/api/v1/entities",
      jsonRequest(
        "POST",
        { projectId: s.tenant.projectId, type: "lead", name: "Dan", status: "won", data: { phone: testPhone() } },
        s.tenant.auth,
      ),
    );
    const c = await draft(s, { offer: "10% off this month." });
    const preview = await (await request(`/api/v1/campaigns/${c.id}/preview`, { headers: s.tenant.auth })).json<{
      audience: number;
      excluded: { byReason: Record<string, number> };
      samples: { phone: string; body: string; segments: number }[];
      cost: { estimatedUsd: number };
    }>();
    expect(preview.audience).toBe(1);
    expect(preview.excluded.byReason).toEqual({ "opted-out": 1, "open-lead": 1, "no-consent": 1 });
    expect(preview.samples[0]).toMatchObject({ phone: ann, segments: 1 });
    expect(preview.samples[0]?.body).toMatch(
      /^Hi Ann, it's .+\. Time for a Water heater\? 10% off this month\.\nReply STOP to opt out$/,
    );
    expect(preview.cost.estimatedUsd).toBeGreaterThan(0);
    expect((await campaign(s, c.id)).counts.total).toBe(0);
  });

  it("a template naming an unknown variable is refused, naming the field, and no campaign is made", async () => {
    const s = await shop("campaign-bad-template", "UTC");
    const made = await request(
      "/api/v1/campaigns",
      jsonRequest(
        "POST",
        { projectId: s.tenant.projectId, name: "Bad", settings: { template: "Hi {{nickname}}" } },
        s.tenant.auth,
      ),
    );
    expect(made.status).toBe(422);
    const problem = await made.json<{ errors: { field: string }[] }>();
    expect(problem.errors.map((e) => e.field)).toContain("settings.template");
    const listed = await request("/api/v1/entities?type=campaign", { headers: s.tenant.auth });
    expect((await listed.json<{ items: unknown[] }>()).items).toHaveLength(0);
  });

  it("only an admin may launch it", async () => {
    const s = await shop("campaign-member", zoneWhereItIs(10, 18));
    const c = await draft(s);
    const member = await memberOf(s.tenant, "member");
    expect((await act(s, c.id, "launch", member.auth)).status).toBe(403);
    expect((await campaign(s, c.id)).run.state).toBe("draft");
  });

  it("texts every eligible customer exactly once, records who was left out, and completes", async () => {
    const s = await shop("campaign-send", zoneWhereItIs(10, 18));
    const phones = await importCustomers(s, ["Ann Lee", "Bob Ray", "Cat Fox", "Dee Moe"]);
    await withTenant(handle.db, s.tenant.tenantId, (tx) =>
      setOptOut(tx, s.tenant.tenantId, phones[3] as string, true, "STOP"),
    );
    const c = await draft(s);
    expect((await act(s, c.id, "launch")).status).toBe(200);
    const done = await finished(s, c.id);
    expect(done.counts.byStatus).toMatchObject({ sent: 3, excluded: 1 });
    expect(done.counts.byReason).toMatchObject({ "opted-out": 1 });
    for (const phone of phones.slice(0, 3)) {
      const texts = await textsTo(phone);
      expect(texts).toHaveLength(1);
      expect(texts[0]?.from).toBe(s.trackingNumber);
    }
    expect(await textsTo(phones[3] as string)).toHaveLength(0);
  });

  it("Twilio's delivery reports move each recipient forward to delivered", async () => {
    const s = await shop("campaign-delivery", zoneWhereItIs(10, 18));
    await importCustomers(s, ["Ann Lee", "Bob Ray"]);
    const c = await draft(s);
    await act(s, c.id, "launch");
    await finished(s, c.id);
    await deliverTwilioWebhooks(s.tenant.tenantId, async () =>
      (await recipients(s, c.id)).every((r) => r.status === "delivered"),
    );
    expect((await campaign(s, c.id)).counts.byStatus).toEqual({ delivered: 2 });
  });

  it("a customer in their quiet hours is held until their window opens, not texted and not refused", async () => {
    const s = await shop("campaign-night", zoneWhereItIs(0, 6));
    const [phone] = await importCustomers(s, ["Ann Lee"]);
    const c = await draft(s);
    await act(s, c.id, "launch");
    const held = await vi.waitFor(
      async () => {
        const [r] = await recipients(s, c.id);
        if (r?.reason !== "quiet-hours") throw new Error("not held yet");
        return r;
      },
      { timeout: 20_000, interval: 250 },
    );
    expect(held.status).toBe("queued");
    expect(new Date(held.notBefore ?? 0).getTime()).toBeGreaterThan(Date.now());
    expect(await textsTo(phone as string)).toHaveLength(0);
    expect((await campaign(s, c.id)).run.state).toBe("running");
    await act(s, c.id, "cancel");
  });

  it("a customer texted by one campaign is left out of the next by the frequency cap", async () => {
    const s = await shop("campaign-cap", zoneWhereItIs(10, 18));
    const [phone] = await importCustomers(s, ["Ann Lee"]);
    const first = await draft(s);
    await act(s, first.id, "launch");
    await finished(s, first.id);
    const second = await draft(s, {}, "Spring check-up");
    await act(s, second.id, "launch");
    const done = await finished(s, second.id);
    expect(done.counts.byReason).toMatchObject({ "recent-contact": 1 });
    expect(await textsTo(phone as string)).toHaveLength(1);
  });

  it("STOP from a customer refuses every text still waiting for that number at once", async () => {
    const s = await shop("campaign-stop", zoneWhereItIs(0, 6));
    const [phone] = await importCustomers(s, ["Ann Lee"]);
    await configureNumber(s.trackingNumber, {
      smsUrl: `${env.PUBLIC_BASE_URL}/webhooks/twilio/sms?project=${s.tenant.projectId}`,
    });
    const c = await draft(s);
    await act(s, c.id, "launch");
    // The simulator answers once the Worker answered its webhook: delivered alongside, not awaited first.
    const stop = simulateInboundSms({ from: phone as string, to: s.trackingNumber, body: "STOP" });
    await deliverTwilioWebhooks(s.tenant.projectId, async () => (await recipients(s, c.id))[0]?.status === "refused");
    await stop;
    const [r] = await recipients(s, c.id);
    expect(r).toMatchObject({ status: "refused", reason: "opted-out" });
    expect((await textsTo(phone as string)).filter((m) => m.body.includes("Time for"))).toHaveLength(0);
    await act(s, c.id, "cancel");
  });

  it("a reply marks the recipient replied, reopens the lead and tells the owner, offering a call back", async () => {
    const s = await shop("campaign-reply", zoneWhereItIs(10, 18));
    const [phone] = await importCustomers(s, ["Ann Lee"]);
    await configureNumber(s.trackingNumber, {
      smsUrl: `${env.PUBLIC_BASE_URL}/webhooks/twilio/sms?project=${s.tenant.projectId}`,
    });
    const c = await draft(s);
    await act(s, c.id, "launch");
    await finished(s, c.id);
    const reply = simulateInboundSms({
      from: phone as string,
      to: s.trackingNumber,
      body: "Yes please, call me this week",
    });
    const ownerAlert = async () => (await textsTo(s.ownerPhone)).find((m) => m.body.includes("replied to"));
    await deliverTwilioWebhooks([s.tenant.projectId, s.tenant.tenantId], async () => Boolean(await ownerAlert()));
    await reply;
    const [r] = await recipients(s, c.id);
    expect(r?.repliedAt).not.toBeNull();
    expect((await campaign(s, c.id)).counts.replied).toBe(1);
    const lead = await (await request(`/api/v1/entities/${r?.leadId}`, { headers: s.tenant.auth })).json<{
      status: string;
    }>();
    expect(lead.status).toBe("new");
    expect((await ownerAlert())?.body).toContain(`/leads/${r?.leadId}`);
    expect((await ownerAlert())?.body).toContain("interested");
  });

  it("a sender that died after texting and before recording it does not text that customer again", async () => {
    const s = await shop("campaign-crash", zoneWhereItIs(10, 18));
    const [phone] = await importCustomers(s, ["Ann Lee"]);
    const c = await draft(s);
    await act(s, c.id, "launch");
    await finished(s, c.id);
    const [sent] = await recipients(s, c.id);
    // As if the sender had died between Twilio's answer and its own write: the row says queued, the run goes on.
    await withTenant(handle.db, s.tenant.tenantId, (tx) =>
      updateRecipient(tx, c.id, sent?.leadId as string, { status: "queued", messageSid: null, sentAt: null }),
    );
    const context = { db: handle.db, actor: systemActor(s.tenant.tenantId, "campaign-crash-test") };
    await reviseEntity(
      c.id,
      (current) => ({ system: { ...current.system, run: { ...(current.system.run as object), state: "running" } } }),
      context,
    );
    await env.TENANT.getByName(s.tenant.tenantId).setWakeUp(
      s.tenant.tenantId,
      `campaign:${c.id}`,
      "reactivator_agent",
      { campaignId: c.id },
      Date.now(),
    );
    await finished(s, c.id);
    const [after] = await recipients(s, c.id);
    expect(after?.status).toBe("sent");
    expect(await textsTo(phone as string)).toHaveLength(1);
  });

  it("a sender that died after Twilio took a text, before anything was recorded, does not send it again", async () => {
    const s = await shop("campaign-unknown-outcome", zoneWhereItIs(0, 6));
    const [phone] = await importCustomers(s, ["Ann Lee"]);
    const c = await draft(s);
    await act(s, c.id, "launch");
    // Night where Ann lives: her row waits. Then, as the dead sender did: Twilio got the text…
    const [row] = await vi.waitFor(
      async () => {
        const rows = await recipients(s, c.id);
        if (rows[0]?.reason !== "quiet-hours") throw new Error("not held yet");
        return rows;
      },
      { timeout: 20_000, interval: 250 },
    );
    const created = await fetch(
      `${env.TWILIO_API_BASE_URL}/2010-04-01/Accounts/${env.TWILIO_ACCOUNT_SID}/Messages.json`,
      {
        method: "POST",
        headers: {
          authorization: `Basic ${btoa(`${env.TWILIO_ACCOUNT_SID}:${env.TWILIO_AUTH_TOKEN}`)}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ To: phone as string, From: s.trackingNumber, Body: row?.body ?? "" }).toString(),
      },
    );
    const { sid } = await created.json<{ sid: string }>();
    // …and the row still says "sending", claimed by a sender that fell silent a minute ago.
    await withTenant(handle.db, s.tenant.tenantId, (tx) =>
      updateRecipient(tx, c.id, row?.leadId as string, {
        status: "sending",
        claimedAt: new Date(Date.now() - 61_000),
        notBefore: null,
      }),
    );
    await env.TENANT.getByName(s.tenant.tenantId).setWakeUp(
      s.tenant.tenantId,
      `campaign:${c.id}`,
      "reactivator_agent",
      { campaignId: c.id },
      Date.now(),
    );
    await finished(s, c.id);
    const [after] = await (await request(`/api/v1/campaigns/${c.id}/recipients`, { headers: s.tenant.auth }))
      .json<{
        items: (Recipient & { messageSid: string | null })[];
      }>()
      .then((page) => page.items);
    expect(after).toMatchObject({ status: "sent", messageSid: sid });
    expect(await textsTo(phone as string)).toHaveLength(1);
  });

  it("at the spend cap the campaign pauses itself and says why; resumed under a raised cap, it finishes", async () => {
    const s = await shop("campaign-cap-reached", zoneWhereItIs(10, 18));
    const [phone] = await importCustomers(s, ["Ann Lee"]);
    const setCap = (monthlyCapUsd: number) =>
      request(`/api/v1/projects/${s.tenant.projectId}/spend-cap`, jsonRequest("PUT", { monthlyCapUsd }, s.tenant.auth));
    expect((await setCap(0)).status).toBe(200);
    const c = await draft(s);
    await act(s, c.id, "launch");
    const paused = await vi.waitFor(
      async () => {
        const current = await campaign(s, c.id);
        if (current.run.state !== "paused") throw new Error(`still ${current.run.state}`);
        return current;
      },
      { timeout: 20_000, interval: 250 },
    );
    expect(paused.run.pausedReason).toBe("spend-cap");
    expect(paused.counts.byStatus).toEqual({ queued: 1 });
    expect(await textsTo(phone as string)).toHaveLength(0);
    await setCap(50);
    expect((await act(s, c.id, "resume")).status).toBe(200);
    await finished(s, c.id);
    expect(await textsTo(phone as string)).toHaveLength(1);
  });

  it("a launched campaign's settings cannot be changed through the entities API", async () => {
    const s = await shop("campaign-fixed-settings", zoneWhereItIs(0, 6));
    await importCustomers(s, ["Ann Lee"]);
    const c = await draft(s);
    await act(s, c.id, "launch");
    const entity = await request(`/api/v1/entities/${c.id}`, { headers: s.tenant.auth });
    const patched = await request(
      `/api/v1/entities/${c.id}`,
      jsonRequest(
        "PATCH",
        { data: { template: TEMPLATE, pacePerSecond: 100, dailyLimit: 50_000 } },
        { ...s.tenant.auth, "if-match": entity.headers.get("etag") ?? "" },
      ),
    );
    expect(patched.status).toBe(422);
    expect((await patched.json<{ errors: { field: string }[] }>()).errors.map((e) => e.field)).toEqual(["data"]);
    await act(s, c.id, "cancel");
  });

  it("the daily limit holds across the sender's lanes", async () => {
    const s = await shop("campaign-daily-limit", zoneWhereItIs(10, 18));
    const phones = await importCustomers(s, ["A One", "B Two", "C Three", "D Four", "E Five", "F Six"]);
    const c = await draft(s, { dailyLimit: 2, pacePerSecond: 20 });
    await act(s, c.id, "launch");
    // The sender's stretch ends at the limit: by then every lane has finished its text in hand.
    await vi.waitFor(
      async () => {
        const all = (await simMessages()).filter((m) => phones.includes(m.to));
        if (all.length < 2) throw new Error(`${all.length} sent`);
      },
      { timeout: 20_000, interval: 250 },
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await simMessages()).filter((m) => phones.includes(m.to))).toHaveLength(2);
    const current = await campaign(s, c.id);
    expect(current.run.state).toBe("running");
    expect(current.counts.byStatus.queued).toBe(4);
    await act(s, c.id, "cancel");
  });
});
