import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import twilio from "twilio";
import { startTwilioSimulator, twilioSignature } from "./twilio.ts";

const ACCOUNT_SID = `AC${"1".repeat(32)}`;
const AUTH_TOKEN = "test-token";
const OWNER = "+15550100001";
const CUSTOMER = "+15550100003";
/** How long the shared simulator waits for a voice URL before counting it failed. */
const WEBHOOK_TIMEOUT_MS = 400;

interface Received {
  method: string;
  path: string;
  /** The URL as requested, query included: what a GET is signed over. */
  url: string;
  params: Record<string, string>;
  signature: string;
  /** Signed with the main account's token (see signedWith for others). */
  signed: boolean;
}

/** A stand-in for Apex: answers each webhook path with fixed TwiML and keeps every request. */
let apex: http.Server;
let apexUrl = "";
let answers: Record<string, string | { status: number; body?: string } | "hang"> = {};
const received: Received[] = [];

let simUrl = "";
let closeSim: () => Promise<void>;

before(async () => {
  apex = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = `${apexUrl}${req.url}`;
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
    const query = Object.fromEntries(new URL(url).searchParams);
    const signature = String(req.headers["x-twilio-signature"] ?? "");
    const path = new URL(url).pathname;
    received.push({
      method: req.method ?? "",
      path,
      url,
      params: req.method === "GET" ? query : form,
      signature,
      signed: signature === twilioSignature(AUTH_TOKEN, url, form),
    });
    const answer = answers[path] ?? "<Response/>";
    if (answer === "hang") return; // never answers; the simulator's timeout must give up on it
    if (typeof answer === "string") {
      res.writeHead(200, { "content-type": "text/xml" });
      return res.end(answer);
    }
    res.writeHead(answer.status, { "content-type": "text/plain" });
    res.end(answer.body ?? "");
  });
  await new Promise<void>((resolve) => apex.listen(0, "127.0.0.1", resolve));
  apexUrl = `http://127.0.0.1:${(apex.address() as { port: number }).port}`;
  const sim = await startTwilioSimulator({
    port: 0,
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    msPerSecond: 1,
    webhookTimeoutMs: WEBHOOK_TIMEOUT_MS,
  });
  simUrl = sim.baseUrl;
  closeSim = sim.close;
});

after(async () => {
  await closeSim();
  apex.closeAllConnections();
  await new Promise((resolve) => apex.close(resolve));
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** A Twilio REST request as the twilio library makes it: Basic auth, form body. */
async function api(
  path: string,
  as: { sid: string; token: string },
  init: { method?: string; form?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${simUrl}/2010-04-01${path}`, {
    method: init.method ?? (init.form ? "POST" : "GET"),
    headers: { authorization: basic(as.sid, as.token), "content-type": "application/x-www-form-urlencoded" },
    ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const MAIN = { sid: ACCOUNT_SID, token: AUTH_TOKEN };

async function subaccount(name: string): Promise<{ sid: string; token: string }> {
  const created = await api("/Accounts.json", MAIN, { form: { FriendlyName: name } });
  assert.equal(created.status, 201);
  return { sid: created.body.sid as string, token: created.body.auth_token as string };
}

const control = (path: string, init?: { method?: string; body?: unknown }) =>
  fetch(`${simUrl}/_sim${path}`, {
    method: init?.method ?? (init?.body ? "POST" : "GET"),
    ...(init?.body ? { body: JSON.stringify(init.body) } : {}),
  });

const signedWith = (r: Received, token: string) =>
  r.signature === twilioSignature(token, r.url, r.method === "GET" ? {} : r.params);

/** Waits for `path` to have been requested, and returns the request. */
async function requestTo(path: string): Promise<Received> {
  for (let i = 0; i < 200; i++) {
    const found = received.find((r) => r.path === path);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`nothing requested ${path}`);
}

/** A port nothing listens on: a connection to it is refused. */
async function refusedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the account fetch", () => {
  it("answers GET /2010-04-01/Accounts/{sid}.json with Twilio's Account shape, status active", async () => {
    const response = await fetch(`${simUrl}/2010-04-01/Accounts/${ACCOUNT_SID}.json`, {
      headers: { authorization: basic(ACCOUNT_SID, AUTH_TOKEN) },
    });
    assert.equal(response.status, 200);
    const account = (await response.json()) as Record<string, unknown>;
    assert.equal(account.sid, ACCOUNT_SID);
    assert.equal(account.status, "active");
    assert.equal(account.type, "Full");
    assert.equal(account.uri, `/2010-04-01/Accounts/${ACCOUNT_SID}.json`);
    for (const key of ["friendly_name", "owner_account_sid", "date_created", "date_updated", "subresource_uris"]) {
      assert.ok(account[key], `has ${key}`);
    }
  });

  it("refuses a wrong token, or another account's sid, with Twilio's 401 (20003)", async () => {
    const wrong = await fetch(`${simUrl}/2010-04-01/Accounts/${ACCOUNT_SID}.json`, {
      headers: { authorization: basic(ACCOUNT_SID, "guess") },
    });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { code: number }).code, 20003);
    const other = await fetch(`${simUrl}/2010-04-01/Accounts/AC${"2".repeat(32)}.json`, {
      headers: { authorization: basic(ACCOUNT_SID, AUTH_TOKEN) },
    });
    assert.equal(other.status, 401);
  });
});

describe("subaccounts", () => {
  it("the main account creates a subaccount with its own sid and auth token, owned by the main account", async () => {
    const created = await api("/Accounts.json", MAIN, { form: { FriendlyName: "Plumber Joe" } });
    assert.equal(created.status, 201);
    assert.match(created.body.sid as string, /^AC[0-9a-f]{32}$/);
    assert.match(created.body.auth_token as string, /^[0-9a-f]{32}$/);
    assert.equal(created.body.owner_account_sid, ACCOUNT_SID);
    assert.equal(created.body.friendly_name, "Plumber Joe");
    assert.equal(created.body.status, "active");
    assert.equal(created.body.type, "Full");
    const fetched = await api(`/Accounts/${created.body.sid}.json`, MAIN);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.auth_token, created.body.auth_token, "the parent's fetch shows the token");
  });

  it("a subaccount's credentials open only its own account: a sibling's or the main account's answer 404 (20404)", async () => {
    const a = await subaccount("A");
    const b = await subaccount("B");
    assert.equal((await api(`/Accounts/${a.sid}.json`, a)).status, 200);
    for (const path of [`/Accounts/${b.sid}.json`, `/Accounts/${ACCOUNT_SID}.json`, `/Accounts/${b.sid}/Calls.json`]) {
      const refused = await api(path, a);
      assert.equal(refused.status, 404, path);
      assert.equal(refused.body.code, 20404, path);
    }
    assert.equal((await api(`/Accounts/${a.sid}.json`, { sid: a.sid, token: b.token })).status, 401);
  });

  it("the accounts list shows the main account itself and its subaccounts, and a subaccount only itself", async () => {
    const sub = await subaccount("Listed");
    const asMain = await api("/Accounts.json", MAIN);
    const mainSees = (asMain.body.accounts as { sid: string }[]).map((a) => a.sid);
    assert.ok(mainSees.includes(ACCOUNT_SID) && mainSees.includes(sub.sid));
    assert.equal(asMain.body.next_page_uri, null);
    const asSub = await api("/Accounts.json", sub);
    assert.deepEqual(
      (asSub.body.accounts as { sid: string }[]).map((a) => a.sid),
      [sub.sid],
    );
  });

  it("a closed subaccount's credentials stop working (401, 20003)", async () => {
    const sub = await subaccount("Closing");
    const closed = await api(`/Accounts/${sub.sid}.json`, MAIN, { form: { Status: "closed" } });
    assert.equal(closed.status, 200);
    assert.equal(closed.body.status, "closed");
    const refused = await api(`/Accounts/${sub.sid}.json`, sub);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, 20003);
  });

  it("a call created under a subaccount belongs to it, and its webhooks carry its AccountSid, signed with its token", async () => {
    const sub = await subaccount("Caller");
    answers["/sub-call"] = "<Response><Say>Hello</Say></Response>";
    const created = await api(`/Accounts/${sub.sid}/Calls.json`, sub, {
      form: { To: "+15550100041", From: "+15550100042", Url: `${apexUrl}/sub-call` },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.account_sid, sub.sid);
    const webhook = await requestTo("/sub-call");
    assert.equal(webhook.params.AccountSid, sub.sid);
    assert.ok(signedWith(webhook, sub.token), "signed with the subaccount's token");
    assert.ok(!webhook.signed, "not with the main account's");
  });
});

describe("phone numbers", () => {
  it("available search offers the area code's 555-01xx numbers in order, in Twilio's shape", async () => {
    const found = await api(
      `/Accounts/${ACCOUNT_SID}/AvailablePhoneNumbers/US/Local.json?AreaCode=212&PageSize=3`,
      MAIN,
    );
    assert.equal(found.status, 200);
    const offered = found.body.available_phone_numbers as Record<string, unknown>[];
    assert.deepEqual(
      offered.map((n) => n.phone_number),
      ["+12125550100", "+12125550101", "+12125550102"],
    );
    assert.equal(offered[0]?.friendly_name, "(212) 555-0100");
    assert.equal(offered[0]?.iso_country, "US");
    assert.equal(offered[0]?.address_requirements, "none");
    assert.deepEqual(offered[0]?.capabilities, { voice: true, SMS: true, MMS: true, fax: false });
  });

  it("available search never offers a number an account owns, bought or configured", async () => {
    const sub = await subaccount("Owner");
    await control("/numbers/+13125550100", { method: "PUT", body: { voiceUrl: `${apexUrl}/x` } });
    const bought = await api(`/Accounts/${sub.sid}/IncomingPhoneNumbers.json`, sub, {
      form: { PhoneNumber: "+13125550101" },
    });
    assert.equal(bought.status, 201);
    const found = await api(`/Accounts/${sub.sid}/AvailablePhoneNumbers/US/Local.json?AreaCode=312&PageSize=2`, sub);
    assert.deepEqual(
      (found.body.available_phone_numbers as { phone_number: string }[]).map((n) => n.phone_number),
      ["+13125550102", "+13125550103"],
    );
  });

  it("available search with an invalid AreaCode answers 400 naming it (21451)", async () => {
    const found = await api(`/Accounts/${ACCOUNT_SID}/AvailablePhoneNumbers/US/Local.json?AreaCode=12`, MAIN);
    assert.equal(found.status, 400);
    assert.equal(found.body.code, 21451);
    assert.match(found.body.message as string, /AreaCode 12\b/);
  });

  it("buying a number another account owns answers 400 (21422)", async () => {
    const first = await subaccount("First");
    const second = await subaccount("Second");
    const form = { PhoneNumber: "+15125550100" };
    assert.equal((await api(`/Accounts/${first.sid}/IncomingPhoneNumbers.json`, first, { form })).status, 201);
    const taken = await api(`/Accounts/${second.sid}/IncomingPhoneNumbers.json`, second, { form });
    assert.equal(taken.status, 400);
    assert.equal(taken.body.code, 21422);
    assert.match(taken.body.message as string, /\+15125550100 is not available/);
  });

  it("a bought number routes an inbound call to its VoiceUrl, signed with the subaccount's token and carrying its AccountSid", async () => {
    const sub = await subaccount("Tracking");
    const bought = await api(`/Accounts/${sub.sid}/IncomingPhoneNumbers.json`, sub, {
      form: { AreaCode: "303", VoiceUrl: `${apexUrl}/bought-voice`, FriendlyName: "Tracking line" },
    });
    assert.equal(bought.status, 201);
    assert.match(bought.body.sid as string, /^PN[0-9a-f]{32}$/);
    assert.equal(bought.body.account_sid, sub.sid);
    assert.equal(bought.body.phone_number, "+13035550100");
    assert.equal(bought.body.voice_method, "POST");
    const call = await control("/inbound-call", { body: { from: "+15550100051", to: "+13035550100" } });
    assert.equal(call.status, 201);
    const webhook = await requestTo("/bought-voice");
    assert.equal(webhook.params.AccountSid, sub.sid);
    assert.equal(webhook.params.To, "+13035550100");
    assert.ok(signedWith(webhook, sub.token), "signed with the subaccount's token");
  });

  it("an update to a number's VoiceUrl sends its next call there", async () => {
    const sub = await subaccount("Moving");
    const bought = await api(`/Accounts/${sub.sid}/IncomingPhoneNumbers.json`, sub, {
      form: { PhoneNumber: "+12065550100", VoiceUrl: `${apexUrl}/old-voice` },
    });
    const updated = await api(`/Accounts/${sub.sid}/IncomingPhoneNumbers/${bought.body.sid}.json`, MAIN, {
      form: { VoiceUrl: `${apexUrl}/new-voice` },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.voice_url, `${apexUrl}/new-voice`);
    await control("/inbound-call", { body: { from: "+15550100052", to: "+12065550100" } });
    await requestTo("/new-voice");
    assert.ok(!received.some((r) => r.path === "/old-voice"));
  });

  it("a released number answers 204, leaves the account's list and no longer routes calls", async () => {
    const sub = await subaccount("Releasing");
    const bought = await api(`/Accounts/${sub.sid}/IncomingPhoneNumbers.json`, sub, {
      form: { PhoneNumber: "+16175550100", VoiceUrl: `${apexUrl}/released` },
    });
    const path = `/Accounts/${sub.sid}/IncomingPhoneNumbers/${bought.body.sid}.json`;
    assert.equal((await api(path, sub, { method: "DELETE" })).status, 204);
    const listed = await api(`/Accounts/${sub.sid}/IncomingPhoneNumbers.json?PhoneNumber=%2B16175550100`, sub);
    assert.deepEqual(listed.body.incoming_phone_numbers, []);
    const call = await control("/inbound-call", { body: { from: "+15550100053", to: "+16175550100" } });
    assert.equal(call.status, 404);
  });

  it("GET /_sim/numbers lists bought and configured numbers with their account and URLs", async () => {
    const sub = await subaccount("Listing");
    await api(`/Accounts/${sub.sid}/IncomingPhoneNumbers.json`, sub, {
      form: { PhoneNumber: "+13055550100", VoiceUrl: `${apexUrl}/v`, VoiceFallbackUrl: `${apexUrl}/f` },
    });
    await control("/numbers/+13055550101", {
      method: "PUT",
      body: { voiceUrl: `${apexUrl}/c`, smsUrl: `${apexUrl}/s` },
    });
    const { numbers } = (await (await control("/numbers")).json()) as { numbers: Record<string, unknown>[] };
    const bought = numbers.find((n) => n.number === "+13055550100");
    assert.equal(bought?.accountSid, sub.sid);
    assert.equal(bought?.voiceUrl, `${apexUrl}/v`);
    assert.equal(bought?.voiceFallbackUrl, `${apexUrl}/f`);
    assert.equal(numbers.find((n) => n.number === "+13055550101")?.accountSid, ACCOUNT_SID);
    assert.equal(numbers.find((n) => n.number === "+13055550101")?.smsUrl, `${apexUrl}/s`);
  });

  it("the twilio library's own resources buy, find, update and release a subaccount's number", async () => {
    const httpClient = {
      async request(opts: {
        method: string;
        uri: string;
        username: string;
        password: string;
        headers?: Record<string, string>;
        params?: Record<string, unknown>;
        data?: Record<string, unknown>;
      }) {
        const target = new URL(new URL(opts.uri).pathname, simUrl);
        for (const [k, v] of Object.entries(opts.params ?? {})) target.searchParams.append(k, String(v));
        const response = await fetch(target, {
          method: opts.method.toUpperCase(),
          headers: { ...opts.headers, authorization: basic(opts.username, opts.password) },
          ...(opts.data ? { body: new URLSearchParams(opts.data as Record<string, string>).toString() } : {}),
        });
        return { statusCode: response.status, body: await response.text(), headers: {} };
      },
    };
    const main = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: httpClient as never });
    const account = await main.api.v2010.accounts.create({ friendlyName: "Library" });
    assert.equal(account.ownerAccountSid, ACCOUNT_SID);
    const sub = twilio(account.sid, account.authToken, { httpClient: httpClient as never });
    const [offer] = await sub.availablePhoneNumbers("US").local.list({ areaCode: 512, limit: 1 });
    assert.equal(offer?.phoneNumber, "+15125550101", "+15125550100 is owned by an earlier test");
    const bought = await sub.incomingPhoneNumbers.create({
      phoneNumber: offer?.phoneNumber as string,
      voiceUrl: `${apexUrl}/lib-voice`,
      voiceFallbackUrl: `${apexUrl}/lib-fallback`,
      voiceFallbackMethod: "GET",
    });
    assert.equal(bought.accountSid, account.sid);
    const [listed] = await sub.incomingPhoneNumbers.list({ phoneNumber: "+15125550101" });
    assert.equal(listed?.sid, bought.sid);
    const updated = await main.api.v2010
      .accounts(account.sid)
      .incomingPhoneNumbers(bought.sid)
      .update({ voiceUrl: `${apexUrl}/lib-voice-2` });
    assert.equal(updated.voiceUrl, `${apexUrl}/lib-voice-2`);
    assert.equal(updated.voiceFallbackMethod, "GET");
    assert.equal(await sub.incomingPhoneNumbers(bought.sid).remove(), true);
  });
});

async function simCall(to: string, url = simUrl) {
  for (let i = 0; i < 200; i++) {
    const { calls } = (await (await fetch(`${url}/_sim/calls`)).json()) as {
      calls: { sid: string; to: string; status: string; steps: string[]; parentCallSid: string | null }[];
    };
    const call = calls.find((c) => c.to === to);
    if (call?.status === "completed") return call;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no completed call to ${to}`);
}

describe("the voice fallback URL", () => {
  it("a refused voice URL falls back to a GET fallback URL, told 11205, and the call dials the number in its TwiML", async () => {
    const sub = await subaccount("Fallback");
    const owner = "+15550100061";
    const requests: { url: string; method: string; signature: string }[] = [];
    const fallback = http.createServer((req, res) => {
      requests.push({
        url: `http://127.0.0.1:${(fallback.address() as { port: number }).port}${req.url}`,
        method: req.method ?? "",
        signature: String(req.headers["x-twilio-signature"]),
      });
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(`<Response><Dial>${owner}</Dial></Response>`);
    });
    await new Promise<void>((resolve) => fallback.listen(0, "127.0.0.1", resolve));
    try {
      const fallbackUrl = `http://127.0.0.1:${(fallback.address() as { port: number }).port}/fallback?project=p1`;
      const voiceUrl = `http://127.0.0.1:${await refusedPort()}/voice`;
      await api(`/Accounts/${sub.sid}/IncomingPhoneNumbers.json`, sub, {
        form: {
          PhoneNumber: "+14155550150",
          VoiceUrl: voiceUrl,
          VoiceFallbackUrl: fallbackUrl,
          VoiceFallbackMethod: "GET",
        },
      });
      await control("/inbound-call", { body: { from: "+15550100062", to: "+14155550150" } });
      const call = await simCall("+14155550150");

      assert.equal(requests.length, 1);
      const [request] = requests;
      assert.equal(request?.method, "GET");
      const query = new URL(request?.url as string).searchParams;
      assert.equal(query.get("project"), "p1", "the fallback URL's own query is kept");
      assert.equal(query.get("ErrorCode"), "11205");
      assert.equal(query.get("ErrorUrl"), voiceUrl);
      assert.equal(query.get("AccountSid"), sub.sid);
      assert.equal(request?.signature, twilioSignature(sub.token, request?.url as string, {}));
      assert.ok(
        call.steps.some((s) => /^error:voice url failed \(connection failed/.test(s)),
        call.steps.join(),
      );
      assert.ok(call.steps.includes(`fallback:${fallbackUrl}`));
      assert.ok(call.steps.includes(`dial:${owner}`));
    } finally {
      fallback.closeAllConnections();
      await new Promise((resolve) => fallback.close(resolve));
    }
  });

  it("a voice URL answering 503 falls back, told 11200 (pull mode: the test answers 503 for a stopped Worker)", async () => {
    const sim = await startTwilioSimulator({
      port: 0,
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      msPerSecond: 1,
      webhookMode: "pull",
    });
    const sim2 = (path: string, body?: unknown, method = body ? "POST" : "GET") =>
      fetch(`${sim.baseUrl}/_sim${path}`, { method, ...(body ? { body: JSON.stringify(body) } : {}) });
    try {
      await sim2(
        "/numbers/+14155550160",
        {
          voiceUrl: "https://worker.test/webhooks/twilio/inbound",
          voiceFallbackUrl: "https://worker.test/webhooks/twilio/fallback",
          voiceFallbackMethod: "GET",
        },
        "PUT",
      );
      await sim2("/inbound-call", { from: "+15550100063", to: "+14155550160" });
      const primary = (await (await sim2("/outbox?wait=2000&match=/inbound")).json()) as { id: string; method: string };
      assert.equal(primary.method, "POST");
      await sim2(`/outbox/${primary.id}`, { status: 503 });
      const fallback = (await (await sim2("/outbox?wait=2000&match=/fallback")).json()) as {
        id: string;
        url: string;
        method: string;
        params: Record<string, string>;
        signature: string;
      };
      assert.equal(fallback.method, "GET");
      assert.deepEqual(fallback.params, {});
      assert.equal(new URL(fallback.url).searchParams.get("ErrorCode"), "11200");
      assert.equal(fallback.signature, twilioSignature(AUTH_TOKEN, fallback.url, {}));
      await sim2(`/outbox/${fallback.id}`, { status: 200, body: "<Response><Dial>+15550100064</Dial></Response>" });
      const call = await simCall("+14155550160", sim.baseUrl);
      assert.ok(call.steps.includes("error:voice url failed (HTTP 503)"), call.steps.join());
      assert.ok(call.steps.includes("dial:+15550100064"));
    } finally {
      await sim.close();
    }
  });

  it("a voice URL that does not answer within webhookTimeoutMs falls back, told 11205", async () => {
    answers["/slow-voice"] = "hang";
    answers["/slow-fallback"] = "<Response><Say>Sorry</Say></Response>";
    await control("/numbers/+14155550170", {
      method: "PUT",
      body: { voiceUrl: `${apexUrl}/slow-voice`, voiceFallbackUrl: `${apexUrl}/slow-fallback` },
    });
    await control("/inbound-call", { body: { from: "+15550100065", to: "+14155550170" } });
    const call = await simCall("+14155550170");
    const fallback = await requestTo("/slow-fallback");
    assert.equal(fallback.params.ErrorCode, "11205");
    assert.ok(fallback.signed);
    assert.ok(
      call.steps.includes(`error:voice url failed (timeout after ${WEBHOOK_TIMEOUT_MS} ms)`),
      call.steps.join(),
    );
  });

  it("a voice URL answering something other than TwiML falls back, told 12100", async () => {
    answers["/html-voice"] = "<html><body>Oops</body></html>";
    answers["/html-fallback"] = "<Response><Say>Sorry</Say></Response>";
    await control("/numbers/+14155550171", {
      method: "PUT",
      body: { voiceUrl: `${apexUrl}/html-voice`, voiceFallbackUrl: `${apexUrl}/html-fallback` },
    });
    await control("/inbound-call", { body: { from: "+15550100066", to: "+14155550171" } });
    const call = await simCall("+14155550171");
    assert.equal((await requestTo("/html-fallback")).params.ErrorCode, "12100");
    assert.ok(call.steps.includes("say:Sorry"));
  });

  it("a healthy voice URL never touches the fallback", async () => {
    answers["/healthy-voice"] = "<Response><Say>Welcome</Say></Response>";
    await control("/numbers/+14155550172", {
      method: "PUT",
      body: { voiceUrl: `${apexUrl}/healthy-voice`, voiceFallbackUrl: `${apexUrl}/healthy-fallback` },
    });
    await control("/inbound-call", { body: { from: "+15550100067", to: "+14155550172" } });
    const call = await simCall("+14155550172");
    assert.deepEqual(call.steps, ["status:ringing", "say:Welcome", "status:completed"]);
    assert.ok(!received.some((r) => r.path === "/healthy-fallback"));
  });
});

describe("<Dial><Number url>", () => {
  it("plays the url's TwiML to the called party, signed like every webhook, before bridging", async () => {
    answers = {
      "/owner": `<Response><Dial><Number url="/customer-leg">${CUSTOMER}</Number></Dial></Response>`,
      "/customer-leg": "<Response><Say>This call is recorded.</Say></Response>",
    };
    const created = await fetch(`${simUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`, {
      method: "POST",
      headers: { authorization: basic(ACCOUNT_SID, AUTH_TOKEN), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ To: OWNER, From: "+15550100002", Url: `${apexUrl}/owner` }).toString(),
    });
    assert.equal(created.status, 201);
    const owner = (await created.json()) as { sid: string };
    const leg = await simCall(CUSTOMER);

    const fetched = received.find((r) => r.path === "/customer-leg");
    assert.ok(fetched?.signed, "the <Number url> request carries a valid X-Twilio-Signature");
    assert.equal(fetched?.params.CallSid, leg.sid);
    assert.equal(fetched?.params.ParentCallSid, owner.sid);
    assert.equal(fetched?.params.To, CUSTOMER);
    assert.equal(fetched?.params.Direction, "outbound-dial");
    assert.deepEqual(leg.steps, ["status:in-progress", "say:This call is recorded.", "bridged", "status:completed"]);
  });

  it("never bridges a called party whose TwiML hangs up", async () => {
    const customer = "+15550100004";
    answers = {
      "/owner-2": `<Response><Dial><Number url="/decline">${customer}</Number></Dial></Response>`,
      "/decline": "<Response><Hangup/></Response>",
    };
    await fetch(`${simUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`, {
      method: "POST",
      headers: { authorization: basic(ACCOUNT_SID, AUTH_TOKEN), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ To: OWNER, From: "+15550100002", Url: `${apexUrl}/owner-2` }).toString(),
    });
    const leg = await simCall(customer);
    assert.ok(!leg.steps.includes("bridged"));
  });
});

describe("texts", () => {
  /** Every request to `path` once `count` have arrived, in arrival order. */
  async function requestsTo(path: string, count: number): Promise<Received[]> {
    for (let i = 0; i < 200; i++) {
      const found = received.filter((r) => r.path === path);
      if (found.length >= count) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`fewer than ${count} requests to ${path}`);
  }

  const sendText = (as: { sid: string; token: string }, form: Record<string, string>) =>
    api(`/Accounts/${as.sid}/Messages.json`, as, { form: { Body: "We miss you!", ...form } });

  interface SimText {
    sid: string;
    to: string;
    status: string;
    history: { status: string; atMs: number }[];
    callbacks: { status: string; httpStatus: number }[];
  }

  const simTexts = async () =>
    (await (await control("/messages")).json()) as {
      messages: SimText[];
      refused: { from: string; to: string; code: number; httpStatus: number }[];
    };

  const fast = { sentMs: 5, deliveredMs: 5 };

  it("status callbacks arrive in order, sent then delivered, signed with the sending account's token", async () => {
    const sub = await subaccount("Texter");
    const to = "+15550100201";
    await control(`/phones/${to}`, { method: "PUT", body: { messageTiming: fast } });
    const created = await sendText(sub, { To: to, From: "+15550100200", StatusCallback: `${apexUrl}/sms-status-1` });
    assert.equal(created.status, 201);
    assert.equal(created.body.status, "queued", "the REST answer is the initial status; no callback for it");

    const callbacks = await requestsTo("/sms-status-1", 2);
    assert.deepEqual(
      callbacks.map((c) => c.params.MessageStatus),
      ["sent", "delivered"],
    );
    for (const callback of callbacks) {
      assert.ok(signedWith(callback, sub.token), "signed with the subaccount's token");
      assert.equal(callback.params.MessageSid, created.body.sid);
      assert.equal(callback.params.SmsStatus, callback.params.MessageStatus);
      assert.equal(callback.params.AccountSid, sub.sid);
      assert.equal(callback.params.From, "+15550100200");
      assert.equal(callback.params.To, to);
      assert.equal(callback.params.ApiVersion, "2010-04-01");
      assert.equal(callback.params.ErrorCode, undefined);
    }
  });

  it("lists an account's texts newest first, filtered by To and From, as Twilio's Messages list does", async () => {
    const to = "+15550100209";
    const first = await sendText(MAIN, { To: to, From: "+15550100200", Body: "first" });
    const second = await sendText(MAIN, { To: to, From: "+15550100200", Body: "second" });
    await sendText(MAIN, { To: to, From: "+15550100299", Body: "another sender" });
    await sendText(MAIN, { To: "+15550100210", From: "+15550100200", Body: "another recipient" });
    const listed = await api(
      `/Accounts/${MAIN.sid}/Messages.json?To=${encodeURIComponent(to)}&From=${encodeURIComponent("+15550100200")}`,
      MAIN,
    );
    assert.equal(listed.status, 200);
    const messages = listed.body.messages as { sid: string; body: string }[];
    assert.deepEqual(
      messages.map((m) => m.sid),
      [second.body.sid, first.body.sid],
    );
    const sub = await subaccount("Lister");
    const theirs = await api(`/Accounts/${sub.sid}/Messages.json?To=${encodeURIComponent(to)}`, sub);
    assert.deepEqual(theirs.body.messages, [], "another account's texts are not listed");
  });

  it("GET /_sim/messages shows each status once, in order, with its time and its callback's answer", async () => {
    const to = "+15550100202";
    await control(`/phones/${to}`, { method: "PUT", body: { messageTiming: { sentMs: 40, deliveredMs: 80 } } });
    const created = await sendText(MAIN, { To: to, From: "+15550100200", StatusCallback: `${apexUrl}/sms-status-2` });
    await requestsTo("/sms-status-2", 2);
    const text = (await simTexts()).messages.find((m) => m.sid === created.body.sid) as SimText;
    assert.deepEqual(
      text.history.map((h) => h.status),
      ["queued", "sent", "delivered"],
    );
    const [queued, sent, delivered] = text.history.map((h) => h.atMs) as [number, number, number];
    assert.ok(sent - queued >= 35, `sent ${sent - queued} ms after queued`);
    assert.ok(delivered - sent >= 75, `delivered ${delivered - sent} ms after sent`);
    assert.deepEqual(
      text.callbacks.map((c) => [c.status, c.httpStatus]),
      [
        ["sent", 200],
        ["delivered", 200],
      ],
    );
  });

  it("an unsubscribed recipient is refused in the REST answer with 400 and 21610, and no message is made", async () => {
    const to = "+15550100203";
    await control(`/phones/${to}`, { method: "PUT", body: { sms: "unsubscribed" } });
    const refused = await sendText(MAIN, { To: to, From: "+15550100200", StatusCallback: `${apexUrl}/sms-status-3` });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, {
      code: 21610,
      message: "Attempt to send to unsubscribed recipient",
      more_info: "https://www.twilio.com/docs/errors/21610",
      status: 400,
    });
    const { messages, refused: refusals } = await simTexts();
    assert.ok(!messages.some((m) => m.to === to));
    assert.deepEqual(
      refusals.filter((r) => r.to === to).map((r) => r.code),
      [21610],
    );
  });

  it("an invalid To is refused in the REST answer with 400 and 21211", async () => {
    const to = "+15550100204";
    await control(`/phones/${to}`, { method: "PUT", body: { sms: "invalid" } });
    const refused = await sendText(MAIN, { To: to, From: "+15550100200" });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 21211);
  });

  it("a filtered recipient's text is accepted, sent, and ends undelivered with ErrorCode 30007", async () => {
    const to = "+15550100205";
    await control(`/phones/${to}`, { method: "PUT", body: { sms: "filtered", messageTiming: fast } });
    const created = await sendText(MAIN, { To: to, From: "+15550100200", StatusCallback: `${apexUrl}/sms-status-5` });
    assert.equal(created.status, 201);
    const callbacks = await requestsTo("/sms-status-5", 2);
    assert.deepEqual(
      callbacks.map((c) => [c.params.MessageStatus, c.params.ErrorCode]),
      [
        ["sent", undefined],
        ["undelivered", "30007"],
      ],
    );
    assert.ok(callbacks.every((c) => c.signed));
    const fetched = await api(`/Accounts/${ACCOUNT_SID}/Messages/${created.body.sid}.json`, MAIN);
    assert.equal(fetched.body.status, "undelivered");
    assert.equal(fetched.body.error_code, 30007);
  });

  it("an unreachable handset's text ends undelivered with ErrorCode 30003", async () => {
    const to = "+15550100206";
    await control(`/phones/${to}`, { method: "PUT", body: { sms: "undeliverable", messageTiming: fast } });
    await sendText(MAIN, { To: to, From: "+15550100200", StatusCallback: `${apexUrl}/sms-status-6` });
    const [, last] = await requestsTo("/sms-status-6", 2);
    assert.equal(last?.params.MessageStatus, "undelivered");
    assert.equal(last?.params.ErrorCode, "30003");
  });

  it("the sender pace answers 429 (20429) above the configured rate, and sends again once it refills", async () => {
    const from = "+15550100210";
    await control(`/senders/${from}`, { method: "PUT", body: { perSecond: 10, burst: 2 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await sendText(MAIN, { To: "+15550100211", From: from })).status);
    assert.deepEqual(statuses, [201, 201, 429]);
    const over = await sendText(MAIN, { To: "+15550100211", From: from });
    assert.equal(over.body.code, 20429);
    assert.equal(over.body.status, 429);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal((await sendText(MAIN, { To: "+15550100211", From: from })).status, 201);
  });

  it("a pace limits its own sender only: a sender with none is never limited", async () => {
    await control("/senders/+15550100212", { method: "PUT", body: { perSecond: 1 } });
    const paced = [];
    for (let i = 0; i < 2; i++) paced.push((await sendText(MAIN, { To: "+15550100211", From: "+15550100212" })).status);
    assert.deepEqual(paced, [201, 429]);
    const unpaced = [];
    for (let i = 0; i < 5; i++) {
      unpaced.push((await sendText(MAIN, { To: "+15550100211", From: "+15550100213" })).status);
    }
    assert.deepEqual(unpaced, [201, 201, 201, 201, 201]);
  });

  it("PUT /_sim/senders paces every sender without a pace of its own", async () => {
    await control("/senders", { method: "PUT", body: { perSecond: 1 } });
    try {
      const first = await sendText(MAIN, { To: "+15550100211", From: "+15550100214" });
      const second = await sendText(MAIN, { To: "+15550100211", From: "+15550100214" });
      const another = await sendText(MAIN, { To: "+15550100211", From: "+15550100215" });
      assert.deepEqual([first.status, second.status, another.status], [201, 429, 201]);
    } finally {
      await control("/senders", { method: "PUT", body: { perSecond: null } });
    }
    assert.equal((await sendText(MAIN, { To: "+15550100211", From: "+15550100214" })).status, 201);
  });

  it("an inbound reply is posted to the number's smsUrl with Twilio's parameters, signed with its account's token", async () => {
    const sub = await subaccount("Replies");
    const number = "+14155550190";
    await api(`/Accounts/${sub.sid}/IncomingPhoneNumbers.json`, sub, {
      form: { PhoneNumber: number, SmsUrl: `${apexUrl}/sms-in` },
    });
    const reply = await control("/inbound-sms", { body: { from: "+15550100220", to: number, body: "Yes please" } });
    assert.equal(reply.status, 201);
    const webhook = await requestTo("/sms-in");
    assert.ok(signedWith(webhook, sub.token), "signed with the subaccount's token");
    assert.match(webhook.params.MessageSid as string, /^SM[0-9a-f]{32}$/);
    assert.equal(webhook.params.AccountSid, sub.sid);
    assert.equal(webhook.params.From, "+15550100220");
    assert.equal(webhook.params.To, number);
    assert.equal(webhook.params.Body, "Yes please");
    assert.equal(webhook.params.NumMedia, "0");
    assert.equal(webhook.params.ApiVersion, "2010-04-01");
  });
});
