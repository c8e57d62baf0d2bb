import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { startTwilioSimulator, twilioSignature } from "./twilio.ts";

const ACCOUNT_SID = `AC${"1".repeat(32)}`;
const AUTH_TOKEN = "test-token";
const OWNER = "+15550100001";
const CUSTOMER = "+15550100003";

interface Received {
  path: string;
  params: Record<string, string>;
  signed: boolean;
}

/** A stand-in for Apex: answers each webhook path with fixed TwiML and checks every signature. */
let apex: http.Server;
let apexUrl = "";
let answers: Record<string, string> = {};
const received: Received[] = [];

let simUrl = "";
let closeSim: () => Promise<void>;

before(async () => {
  apex = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
    const url = `${apexUrl}${req.url}`;
    const signed = req.headers["x-twilio-signature"] === twilioSignature(AUTH_TOKEN, url, params);
    const path = new URL(url).pathname;
    received.push({ path, params, signed });
    res.writeHead(200, { "content-type": "text/xml" });
    res.end(answers[path] ?? "<Response/>");
  });
  await new Promise<void>((resolve) => apex.listen(0, "127.0.0.1", resolve));
  apexUrl = `http://127.0.0.1:${(apex.address() as { port: number }).port}`;
  const sim = await startTwilioSimulator({ port: 0, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, msPerSecond: 1 });
  simUrl = sim.baseUrl;
  closeSim = sim.close;
});

after(async () => {
  await closeSim();
  apex.closeAllConnections();
  await new Promise((resolve) => apex.close(resolve));
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

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

async function simCall(to: string) {
  for (let i = 0; i < 200; i++) {
    const { calls } = (await (await fetch(`${simUrl}/_sim/calls`)).json()) as {
      calls: { sid: string; to: string; status: string; steps: string[]; parentCallSid: string | null }[];
    };
    const call = calls.find((c) => c.to === to);
    if (call?.status === "completed") return call;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no completed call to ${to}`);
}

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
