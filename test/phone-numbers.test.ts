import { env } from "cloudflare:workers";
import { getExpectedTwilioSignature } from "twilio/lib/webhooks/webhooks";
import { describe, expect, it } from "vitest";
import { fallbackKey } from "../workers/speed-to-lead/fallback-twiml";
import { request } from "./helpers";
import { jsonRequest, memberOf, signUpTenant, type TestTenant } from "./tenants";
import { deliverTwilioWebhooks, scriptPhone, simCalls, simulateInboundCall, testPhone } from "./twilio";

/**
 * #14 item 2: a tenant's own Twilio subaccount, numbers searched, bought,
 * wired and released by Apex, and the static fallback that keeps calls
 * ringing when Apex is down — against the Twilio simulator's REST subset.
 */

/** Twilio's REST API as the platform account sees it (the simulator's main account). */
const platformAuth = `Basic ${btoa(`${env.TWILIO_ACCOUNT_SID}:${env.TWILIO_AUTH_TOKEN}`)}`;
const twilioRest = async <T>(path: string): Promise<T> => {
  const response = await fetch(`${env.TWILIO_SIMULATOR_URL}/2010-04-01${path}`, {
    headers: { authorization: platformAuth },
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return response.json<T>();
};

interface TwilioAccountJson {
  sid: string;
  friendly_name: string;
  auth_token?: string;
}
interface IncomingNumberJson {
  sid: string;
  phone_number: string;
  voice_url: string;
  voice_method: string;
  voice_fallback_url: string | null;
  voice_fallback_method: string;
  status_callback: string | null;
  sms_url: string;
}

async function subaccountsOf(tenant: TestTenant): Promise<TwilioAccountJson[]> {
  const { accounts } = await twilioRest<{ accounts: TwilioAccountJson[] }>("/Accounts.json?PageSize=1000");
  return accounts.filter((a) => a.friendly_name === `Apex tenant ${tenant.tenantId}`);
}

async function numbersIn(accountSid: string, phoneNumber?: string): Promise<IncomingNumberJson[]> {
  const query = phoneNumber ? `?PhoneNumber=${encodeURIComponent(phoneNumber)}` : "";
  return (
    await twilioRest<{ incoming_phone_numbers: IncomingNumberJson[] }>(
      `/Accounts/${accountSid}/IncomingPhoneNumbers.json${query}`,
    )
  ).incoming_phone_numbers;
}

/** An area code of this test's own, so parallel files never reach for the same simulated number. */
const areaCode = () =>
  `${2 + Math.floor(Math.random() * 8)}${Math.floor(Math.random() * 9)}${2 + Math.floor(Math.random() * 8)}`;

async function tenantWithOwner(label: string) {
  const tenant = await signUpTenant(label);
  const ownerPhone = testPhone();
  const backupPhone = testPhone();
  await putSettings(tenant, { ownerPhone, backupPhones: [backupPhone] });
  return { tenant, ownerPhone, backupPhone };
}

const numbersPath = (tenant: TestTenant) => `/api/v1/projects/${tenant.projectId}/phone-numbers`;
const usagePath = (tenant: TestTenant) => `/api/v1/projects/${tenant.projectId}/usage`;

interface UsageReport {
  resources: { resource: string; quantity: number; uses: number; costUsd: number }[];
}

/** Every number the Twilio simulator holds, in any account. */
async function simNumbers(): Promise<{ number: string; accountSid: string }[]> {
  const response = await fetch(`${env.TWILIO_SIMULATOR_URL}/_sim/numbers`);
  return (await response.json<{ numbers: { number: string; accountSid: string }[] }>()).numbers;
}

/** Replaces a project's speed-to-lead settings whole. */
async function putSettings(tenant: TestTenant, settings: Record<string, unknown>) {
  const path = `/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`;
  const etag = (await request(path, { headers: tenant.auth })).headers.get("etag") ?? "";
  const saved = await request(path, jsonRequest("PUT", settings, { ...tenant.auth, "if-match": etag }));
  expect(saved.status, await saved.clone().text()).toBe(200);
}

async function search(tenant: TestTenant, code: string) {
  const response = await request(`${numbersPath(tenant)}/available?areaCode=${code}`, { headers: tenant.auth });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json<{ items: { phoneNumber: string }[] }>()).items;
}

async function buy(tenant: TestTenant, phoneNumber: string, headers: Record<string, string> = {}) {
  return request(numbersPath(tenant), jsonRequest("POST", { phoneNumber }, { ...tenant.auth, ...headers }));
}

async function boughtNumber(label: string) {
  const owner = await tenantWithOwner(label);
  const [offered] = await search(owner.tenant, areaCode());
  const response = await buy(owner.tenant, offered?.phoneNumber ?? "");
  expect(response.status).toBe(201);
  const [subaccount] = await subaccountsOf(owner.tenant);
  return { ...owner, number: offered?.phoneNumber as string, subaccount: subaccount as TwilioAccountJson };
}

describe("a tenant's Twilio subaccount", () => {
  it("is created by the platform account with the first number bought, and only once", async () => {
    const { tenant } = await tenantWithOwner("subaccount-once");
    const [first, second] = await search(tenant, areaCode());
    expect((await buy(tenant, first?.phoneNumber ?? "")).status).toBe(201);
    expect((await buy(tenant, second?.phoneNumber ?? "")).status).toBe(201);
    const subaccounts = await subaccountsOf(tenant);
    expect(subaccounts).toHaveLength(1);
    expect(await numbersIn(subaccounts[0]?.sid ?? "")).toHaveLength(2);
  });

  it("keeps its auth token sealed: no row in Postgres holds it in the clear", async () => {
    const { tenant, subaccount } = await boughtNumber("subaccount-sealed");
    const token = (await twilioRest<TwilioAccountJson>(`/Accounts/${subaccount.sid}.json`)).auth_token ?? "";
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const listed = await request(numbersPath(tenant), { headers: tenant.auth });
    expect(await listed.text()).not.toContain(token);
  });
});

describe("searching for numbers", () => {
  it("offers local numbers in the area code asked for", async () => {
    const { tenant } = await tenantWithOwner("search-area");
    const code = areaCode();
    const offered = await search(tenant, code);
    expect(offered.length).toBeGreaterThan(0);
    expect(offered.every((n) => n.phoneNumber.startsWith(`+1${code}`))).toBe(true);
  });

  it("leaves no subaccount behind: a read creates nothing at Twilio", async () => {
    const { tenant } = await tenantWithOwner("search-writes-nothing");
    await search(tenant, areaCode());
    expect(await subaccountsOf(tenant)).toHaveLength(0);
  });
});

describe("buying a number", () => {
  it("points its voice, SMS, status and fallback URLs at Apex and makes it the tracking number", async () => {
    const { tenant, number, subaccount, ownerPhone, backupPhone } = await boughtNumber("buy-wires");
    const [wired] = await numbersIn(subaccount.sid, number);
    const project = `project=${tenant.projectId}`;
    expect(wired).toMatchObject({
      voice_url: `${env.PUBLIC_BASE_URL}/webhooks/twilio/inbound?${project}`,
      voice_method: "POST",
      voice_fallback_method: "GET",
      status_callback: `${env.PUBLIC_BASE_URL}/webhooks/twilio/number-status?${project}`,
      sms_url: `${env.PUBLIC_BASE_URL}/webhooks/twilio/sms?${project}`,
    });
    const key = await fallbackKey(env, tenant.tenantId, number);
    expect(wired?.voice_fallback_url).toBe(`${env.FALLBACK_TWIML_PUBLIC_URL}${key}`);
    const document = await (await env.FALLBACK_TWIML.get(key))?.text();
    expect(document).toContain(`<Number>${ownerPhone}</Number>`);
    expect(document).toContain(`<Number>${backupPhone}</Number>`);

    const settings = await request(`/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`, {
      headers: tenant.auth,
    });
    expect((await settings.json<{ trackingNumber?: string }>()).trackingNumber).toBe(number);
    const listed = await (await request(numbersPath(tenant), { headers: tenant.auth })).json<{ items: unknown[] }>();
    expect(listed.items).toEqual([expect.objectContaining({ number, origin: "purchased", tracking: true })]);
  });

  it("buys once when the same purchase is retried", async () => {
    const { tenant } = await tenantWithOwner("buy-once");
    const [offered] = await search(tenant, areaCode());
    const first = await buy(tenant, offered?.phoneNumber ?? "");
    const again = await buy(tenant, offered?.phoneNumber ?? "");
    expect([first.status, again.status]).toEqual([201, 201]);
    const [subaccount] = await subaccountsOf(tenant);
    expect(await numbersIn(subaccount?.sid ?? "")).toHaveLength(1);
  });

  it("records the number's month in the usage ledger once, however often the purchase is retried", async () => {
    const { tenant } = await tenantWithOwner("buy-usage-once");
    const [offered] = await search(tenant, areaCode());
    expect((await buy(tenant, offered?.phoneNumber ?? "")).status).toBe(201);
    expect((await buy(tenant, offered?.phoneNumber ?? "")).status).toBe(201);
    const report = await (await request(usagePath(tenant), { headers: tenant.auth })).json<UsageReport>();
    expect(report.resources.filter((r) => r.resource === "phone_number_month")).toEqual([
      expect.objectContaining({ quantity: 1, uses: 1, costUsd: 1.15 }),
    ]);
  });

  it("is refused with a 402 at the project's spend cap, and nothing is bought", async () => {
    const { tenant } = await tenantWithOwner("buy-at-cap");
    const capped = await request(
      `/api/v1/projects/${tenant.projectId}/spend-cap`,
      jsonRequest("PUT", { monthlyCapUsd: 0 }, tenant.auth),
    );
    expect(capped.status).toBe(200);
    const [offered] = await search(tenant, areaCode());
    const response = await buy(tenant, offered?.phoneNumber ?? "");
    expect(response.status).toBe(402);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ type: "urn:apex:problem:spend-cap-reached" });
    expect((await simNumbers()).map((n) => n.number)).not.toContain(offered?.phoneNumber);
    const listed = await (await request(numbersPath(tenant), { headers: tenant.auth })).json<{ items: unknown[] }>();
    expect(listed.items).toEqual([]);
  });

  it("claims the number bought before on a retry after its claim failed, buying nothing more", async () => {
    const { tenant } = await tenantWithOwner("buy-claim-retry");
    const [offered] = await search(tenant, areaCode());
    const number = offered?.phoneNumber ?? "";
    // Another tenant has typed the number into its settings: Twilio sells it, but the claim in Postgres fails.
    const other = await tenantWithOwner("buy-claim-holder");
    await putSettings(other.tenant, { ownerPhone: other.ownerPhone, trackingNumber: number });
    const refused = await buy(tenant, number);
    expect(refused.status).toBe(422);
    const [subaccount] = await subaccountsOf(tenant);
    expect(await numbersIn(subaccount?.sid ?? "", number)).toHaveLength(1);

    await putSettings(other.tenant, { ownerPhone: other.ownerPhone });
    const retried = await buy(tenant, number);
    expect(retried.status, await retried.clone().text()).toBe(201);
    expect(await numbersIn(subaccount?.sid ?? "")).toHaveLength(1);
    expect(await retried.json()).toMatchObject({ number, origin: "purchased", tracking: true });
  });

  it("rewrites the fallback document when the owner's phone changes", async () => {
    const { tenant, number } = await boughtNumber("fallback-follows");
    const path = `/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`;
    const current = await request(path, { headers: tenant.auth });
    const newOwner = testPhone();
    const settings = await current.json<Record<string, unknown>>();
    const saved = await request(
      path,
      jsonRequest(
        "PUT",
        { ...settings, ownerPhone: newOwner },
        { ...tenant.auth, "if-match": current.headers.get("etag") ?? "" },
      ),
    );
    expect(saved.status).toBe(200);
    const document = await (await env.FALLBACK_TWIML.get(await fallbackKey(env, tenant.tenantId, number)))?.text();
    expect(document).toContain(`<Number>${newOwner}</Number>`);
  });

  it("names areaCode when it is not a North American area code", async () => {
    const { tenant } = await tenantWithOwner("search-bad-area");
    const response = await request(`${numbersPath(tenant)}/available?areaCode=491`, { headers: tenant.auth });
    expect(response.status).toBe(422);
    const problem = await response.json<{ errors: { field: string }[] }>();
    expect(problem.errors.map((e) => e.field)).toContain("areaCode");
  });

  it("is refused to a member, who may not spend on numbers", async () => {
    const { tenant } = await tenantWithOwner("buy-member");
    const member = await memberOf(tenant, "member");
    const response = await request(
      numbersPath(tenant),
      jsonRequest("POST", { phoneNumber: "+14155550100" }, member.auth),
    );
    expect(response.status).toBe(403);
  });

  it("names phoneNumber when it is not a phone number, and buys nothing", async () => {
    const { tenant } = await tenantWithOwner("buy-bad-number");
    const response = await buy(tenant, "call me maybe");
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await response.json<{ errors: { field: string }[] }>();
    expect(problem.errors.map((e) => e.field)).toContain("phoneNumber");
    expect(await subaccountsOf(tenant)).toHaveLength(0);
  });
});

describe("calls to a bought number", () => {
  it("arrive signed with the subaccount's token and ring the owner", async () => {
    const { tenant, number, subaccount, ownerPhone } = await boughtNumber("inbound-subaccount");
    await scriptPhone(ownerPhone, { answer: "answer", talkSeconds: 5 });
    const caller = testPhone();
    await simulateInboundCall({ from: caller, to: number });
    const delivered = await deliverTwilioWebhooks([tenant.projectId, tenant.tenantId], async () =>
      (await simCalls()).some((c) => c.from === caller && c.status === "completed"),
    );
    const inbound = delivered.find((d) => d.url.includes("/webhooks/twilio/inbound?"));
    expect(inbound?.params.AccountSid).toBe(subaccount.sid);
    expect(inbound?.status).toBe(200);
    const [call] = (await simCalls()).filter((c) => c.from === caller);
    expect(call?.steps).toContain(`dial:${ownerPhone}`);
  });

  it("are refused when signed with the platform's token but naming the tenant's subaccount", async () => {
    const { tenant, number, subaccount } = await boughtNumber("forged-subaccount");
    const url = `${env.PUBLIC_BASE_URL}/webhooks/twilio/inbound?project=${tenant.projectId}`;
    const params = { AccountSid: subaccount.sid, CallSid: `CA${"0".repeat(32)}`, From: testPhone(), To: number };
    const signature = getExpectedTwilioSignature(env.TWILIO_AUTH_TOKEN ?? "", url, params);
    const response = await request(`/webhooks/twilio/inbound?project=${tenant.projectId}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
      body: new URLSearchParams(params).toString(),
    });
    expect(response.status).toBe(403);
  });

  it("still reach the owner through the static fallback when the Worker is down", async () => {
    const { tenant, number, ownerPhone, backupPhone } = await boughtNumber("fallback-down");
    await scriptPhone(ownerPhone, { answer: "answer", talkSeconds: 5 });
    const caller = testPhone();
    await simulateInboundCall({ from: caller, to: number });
    const fallbackUrl = `${env.FALLBACK_TWIML_PUBLIC_URL}${await fallbackKey(env, tenant.tenantId, number)}`;
    const delivered = await deliverTwilioWebhooks(
      [tenant.projectId, fallbackUrl],
      async () => (await simCalls()).some((c) => c.from === caller && c.status === "completed"),
      20_000,
      { workerDown: true },
    );
    // Apex's voice URL fails; Twilio reads the static document instead (and the number's status callback, later, fails too).
    expect(delivered[0]).toMatchObject({ status: 503 });
    expect(delivered[0]?.url).toContain("/webhooks/twilio/inbound?");
    expect(delivered[1]?.url.startsWith(`${fallbackUrl}?`)).toBe(true);
    expect(delivered[1]?.status).toBe(200);
    const [call] = (await simCalls()).filter((c) => c.from === caller && c.direction === "inbound");
    expect(call?.steps).toEqual(expect.arrayContaining([`dial:${ownerPhone}`]));
    expect(call?.steps.some((s) => s.startsWith("fallback:"))).toBe(true);
    expect(delivered[1]?.body).toContain(`<Number>${backupPhone}</Number>`);
  });
});

describe("releasing a number", () => {
  it("gives a bought number back to Twilio and leaves the project without a tracking number", async () => {
    const { tenant, number, subaccount } = await boughtNumber("release");
    const response = await request(`${numbersPath(tenant)}/${encodeURIComponent(number)}`, {
      method: "DELETE",
      headers: tenant.auth,
    });
    expect(response.status).toBe(204);
    expect(await numbersIn(subaccount.sid, number)).toHaveLength(0);
    expect(await env.FALLBACK_TWIML.get(await fallbackKey(env, tenant.tenantId, number))).toBeNull();
    const settings = await request(`/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`, {
      headers: tenant.auth,
    });
    expect((await settings.json<{ trackingNumber?: string }>()).trackingNumber).toBeUndefined();
    const listed = await (await request(numbersPath(tenant), { headers: tenant.auth })).json<{ items: unknown[] }>();
    expect(listed.items).toEqual([]);
  });
});

describe("releasing a malformed number", () => {
  it("names number when it is not a phone number in E.164 form", async () => {
    const { tenant } = await tenantWithOwner("release-bad-number");
    const response = await request(`${numbersPath(tenant)}/not-a-number`, { method: "DELETE", headers: tenant.auth });
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await response.json<{ errors: { field: string }[] }>();
    expect(problem.errors.map((e) => e.field)).toContain("number");
  });
});

describe("two projects of one tenant", () => {
  it("keep their numbers apart: a number bought for one is neither listed by nor attachable to the other", async () => {
    const { tenant, number, subaccount } = await boughtNumber("numbers-never-mix");
    const created = await request("/api/v1/projects", jsonRequest("POST", { name: "Second location" }, tenant.auth));
    expect(created.status).toBe(201);
    const { id: secondId } = await created.json<{ id: string }>();
    const second = { ...tenant, projectId: secondId };
    const listed = await (await request(numbersPath(second), { headers: tenant.auth })).json<{ items: unknown[] }>();
    expect(listed.items).toEqual([]);
    const taken = await request(
      numbersPath(second),
      jsonRequest("POST", { phoneNumber: number, attach: true }, tenant.auth),
    );
    expect(taken.status).toBe(422);
    // Still wired to the first project at Twilio.
    const [wired] = await numbersIn(subaccount.sid, number);
    expect(wired?.voice_url).toContain(`project=${tenant.projectId}`);
  });
});
