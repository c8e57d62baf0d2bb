import { env } from "cloudflare:workers";
import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { customerDisclosureUrl, customerHearsDisclosure } from "../workers/speed-to-lead/disclosure";
import { request } from "./helpers";
import { seedSystemEntity } from "./system-entities";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";
import { deliverTwilioWebhooks, scriptPhone, simCalls, testPhone } from "./twilio";

/**
 * The bridge's customer leg hears the recording disclosure before it is
 * connected (issue #13, item 5): Twilio fetches the <Number url> once the
 * customer answers and plays its TwiML to them alone.
 */
interface Entity {
  id: string;
  status: string | null;
  system: { timeline?: { status: string; disclosure?: string; customerCallSid?: string }[] } & Record<string, unknown>;
}

const CALIFORNIA = "+14155550123";
const TEXAS = "+12145550123";
const UNITED_KINGDOM = "+442079460000";

describe("which customers hear the disclosure", () => {
  it.each([
    ["always", CALIFORNIA, true],
    ["always", TEXAS, true],
    ["always", UNITED_KINGDOM, true],
    ["by-region", CALIFORNIA, true],
    ["by-region", TEXAS, false],
    ["by-region", UNITED_KINGDOM, true],
    ["by-region", "+14165550123", false],
    ["by-region", "+18765550123", true],
  ] as const)("%s: %s hears it → %s", (setting, customer, hears) => {
    expect(customerHearsDisclosure(setting, customer)).toBe(hears);
  });

  it("by-region plays it to an area code it cannot place (a new overlay, an unassigned code)", () => {
    expect(customerHearsDisclosure("by-region", "+15551234567")).toBe(true);
  });

  it("a customer who hears it gets the customer-disclosure webhook as the leg's url; one who doesn't, none", () => {
    const query = { tenant: crypto.randomUUID(), call: crypto.randomUUID() };
    const settings = { disclosure: "This call is recorded.", customerDisclosure: "by-region" } as const;
    const url = new URL(customerDisclosureUrl(env, query, settings, CALIFORNIA) ?? "");
    expect(`${url.origin}${url.pathname}`).toBe(`${env.PUBLIC_BASE_URL}/webhooks/twilio/customer-disclosure`);
    expect(Object.fromEntries(url.searchParams)).toEqual(query);
    expect(customerDisclosureUrl(env, query, settings, TEXAS)).toBeUndefined();
  });

  it("an empty disclosure sends nobody a url", () => {
    const query = { tenant: crypto.randomUUID(), call: crypto.randomUUID() };
    expect(customerDisclosureUrl(env, query, { disclosure: " ", customerDisclosure: "always" }, TEXAS)).toBeUndefined();
  });
});

async function saveSettings(tenant: TestTenant, settings: Record<string, unknown>) {
  const path = `/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`;
  const current = await request(path, { headers: tenant.auth });
  const saved = await request(
    path,
    jsonRequest("PUT", settings, { ...tenant.auth, "if-match": current.headers.get("etag") ?? "" }),
  );
  if (saved.status !== 200) throw new Error(`speed-to-lead settings: ${saved.status} ${await saved.text()}`);
}

const entity = async (tenant: TestTenant, id: string) =>
  (await request(`/api/v1/entities/${id}`, { headers: tenant.auth })).json<Entity>();

const disclosuresOn = (call: Entity) =>
  (call.system.timeline ?? []).filter((step) => step.status === "customer-heard-disclosure");

/** What Twilio posts to a <Number url>: the customer leg's own call, child of the owner's. */
const customerLeg = (customer: string) => ({
  AccountSid: env.TWILIO_ACCOUNT_SID ?? "",
  ApiVersion: "2010-04-01",
  CallSid: `CA${crypto.randomUUID().replaceAll("-", "")}`,
  ParentCallSid: `CA${crypto.randomUUID().replaceAll("-", "")}`,
  CallStatus: "in-progress",
  Direction: "outbound-dial",
  From: "+15550100002",
  To: customer,
});

function postDisclosure(query: string, params: Record<string, string>, signature?: string) {
  const url = `${env.PUBLIC_BASE_URL}/webhooks/twilio/customer-disclosure?${query}`;
  return request(url.replace(env.PUBLIC_BASE_URL, ""), {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": signature ?? twilio.getExpectedTwilioSignature(env.TWILIO_AUTH_TOKEN ?? "", url, params),
    },
    body: new URLSearchParams(params).toString(),
  });
}

describe("POST /webhooks/twilio/customer-disclosure", () => {
  async function bridgeCall(label: string, disclosure: string) {
    const tenant = await signUpTenant(label);
    await saveSettings(tenant, { disclosure });
    const customer = testPhone();
    const call = await seedSystemEntity(tenant, {
      type: "call",
      name: "Bridge",
      status: "in-progress",
      system: { kind: "bridge", customer, timeline: [] },
    });
    return { tenant, customer, callId: call.id, query: `tenant=${tenant.tenantId}&call=${call.id}` };
  }

  it("answers TwiML that says the project's disclosure and nothing else", async () => {
    const { customer, query } = await bridgeCall("disclosure-says", "Calls with Acme Plumbing are recorded.");
    const response = await postDisclosure(query, customerLeg(customer));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/xml");
    const twiml = await response.text();
    expect(twiml).toContain("<Response><Say>Calls with Acme Plumbing are recorded.</Say></Response>");
  });

  it("says the project's words, not words the URL carries", async () => {
    const { customer, query } = await bridgeCall("disclosure-query", "Calls with Acme Plumbing are recorded.");
    const response = await postDisclosure(`${query}&disclosure=Nothing+is+recorded`, customerLeg(customer));
    expect(await response.text()).not.toContain("Nothing is recorded");
  });

  it("notes on the call's timeline, once per customer leg, that the customer heard it", async () => {
    const { tenant, customer, callId, query } = await bridgeCall("disclosure-noted", "This call is recorded.");
    const leg = customerLeg(customer);
    expect((await postDisclosure(query, leg)).status).toBe(200);
    expect((await postDisclosure(query, leg)).status).toBe(200);
    expect(disclosuresOn(await entity(tenant, callId))).toEqual([
      expect.objectContaining({ disclosure: "This call is recorded.", customerCallSid: leg.CallSid }),
    ]);
  });

  it("refuses an unsigned or forged request with 403, and notes nothing", async () => {
    const { tenant, customer, callId, query } = await bridgeCall("disclosure-forged", "This call is recorded.");
    expect((await postDisclosure(query, customerLeg(customer), "")).status).toBe(403);
    expect((await postDisclosure(query, customerLeg(customer), "bm90IGEgc2lnbmF0dXJl")).status).toBe(403);
    expect(disclosuresOn(await entity(tenant, callId))).toEqual([]);
  });

  it("a signed URL naming another tenant's call finds nothing there", async () => {
    const victim = await bridgeCall("disclosure-victim", "Victim's words.");
    const other = await signUpTenant("disclosure-other");
    const response = await postDisclosure(
      `tenant=${other.tenantId}&call=${victim.callId}`,
      customerLeg(victim.customer),
    );
    expect(response.status).toBe(404);
    expect(disclosuresOn(await entity(victim.tenant, victim.callId))).toEqual([]);
  });
});

describe("a bridge call", () => {
  // Needs the connect step to dial the customer with customerDisclosureUrl's <Number url>.
  it("the customer hears the disclosure after answering and before being connected to the owner", async () => {
    const tenant = await signUpTenant("disclosure-bridge");
    const ownerPhone = testPhone();
    const disclosure = "This call with Acme Plumbing is recorded.";
    await saveSettings(tenant, { ownerPhone, trackingNumber: testPhone(), disclosure });
    const customer = testPhone();
    await scriptPhone(ownerPhone, { answer: "answer", press: "1" });
    await scriptPhone(customer, { answer: "answer", talkSeconds: 20 });
    // A lead and a bridge started as a person's "call now" would: no intake secret needed.
    const lead = await request(
      "/api/v1/entities",
      jsonRequest(
        "POST",
        { projectId: tenant.projectId, type: "lead", name: "Dee Closure", data: { phone: customer } },
        tenant.auth,
      ),
    );
    const { id: leadId } = await lead.json<{ id: string }>();
    const bridge = await request(
      "/api/v1/tasks/sales_agent",
      jsonRequest("POST", { params: { leadId, projectId: tenant.projectId, attempt: "call-now" } }, tenant.auth),
    );
    expect(bridge.status).toBe(202);

    let callId = "";
    const delivered = await deliverTwilioWebhooks(tenant.tenantId, async () => {
      callId = ((await entity(tenant, leadId)).system.bridge as { callId?: string } | undefined)?.callId ?? "";
      return callId !== "" && (await entity(tenant, callId)).status === "completed";
    });

    const calls = await simCalls();
    const ownerLeg = calls.find((c) => c.to === ownerPhone);
    const customerLegCall = calls.find((c) => c.to === customer && c.direction === "outbound-dial");
    const fetched = delivered.find((d) => d.url.includes("/webhooks/twilio/customer-disclosure"));
    expect(fetched?.params).toMatchObject({
      CallSid: customerLegCall?.sid,
      ParentCallSid: ownerLeg?.sid,
      To: customer,
      Direction: "outbound-dial",
    });
    const steps = customerLegCall?.steps ?? [];
    expect(steps).toContain(`say:${disclosure}`);
    expect(steps.indexOf(`say:${disclosure}`)).toBeLessThan(steps.indexOf("bridged"));

    const timeline = ((await entity(tenant, callId)).system.timeline ?? []).map((step) => step.status);
    expect(timeline.indexOf("customer-heard-disclosure")).toBeGreaterThan(timeline.indexOf("connecting-customer"));
    expect(timeline.indexOf("customer-heard-disclosure")).toBeLessThan(timeline.indexOf("customer-completed"));
  });
});
