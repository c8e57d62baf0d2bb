import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { scriptPhone, simCalls, simMessages, testPhone } from "../../../test/twilio";
import { twilioClient } from "./client";

// Against the Twilio simulator (dev/simulators/twilio.ts), which answers as
// Twilio's REST API does; `fetch` is watched to see the wire format itself.
const from = "+15550100009";

function watchFetch() {
  const spy = vi.spyOn(globalThis, "fetch");
  return () => {
    const [input, init] = spy.mock.calls.at(-1) ?? [];
    return { url: new URL(String(input)), init: init ?? {}, body: new URLSearchParams(String(init?.body ?? "")) };
  };
}

async function refusal(work: Promise<unknown>): Promise<Record<string, unknown>> {
  return work.then(
    () => expect.unreachable("Twilio accepted the request"),
    (error: Record<string, unknown>) => error,
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("twilioClient", () => {
  it("creates a call with a form-encoded POST to the account's Calls.json, with Basic auth", async () => {
    const to = testPhone();
    await scriptPhone(to, { answer: "busy" });
    const sent = watchFetch();
    const call = await twilioClient(env).calls.create({ to, from, url: "https://apex.example.com/w", timeout: 20 });
    const { url, init, body } = sent();
    expect(url.pathname).toBe(`/2010-04-01/Accounts/${env.TWILIO_ACCOUNT_SID}/Calls.json`);
    expect(init.method).toBe("POST");
    const headers = new Headers(init.headers);
    expect(headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    expect(headers.get("authorization")).toBe(`Basic ${btoa(`${env.TWILIO_ACCOUNT_SID}:${env.TWILIO_AUTH_TOKEN}`)}`);
    expect(Object.fromEntries(body)).toEqual({ To: to, From: from, Url: "https://apex.example.com/w", Timeout: "20" });
    expect(call.sid).toMatch(/^CA/);
    expect((await simCalls()).find((c) => c.sid === call.sid)?.to).toBe(to);
  });

  it("sends a list parameter as the same form key repeated, as Twilio reads it", async () => {
    const to = testPhone();
    await scriptPhone(to, { answer: "busy" });
    const sent = watchFetch();
    await twilioClient(env).calls.create({
      to,
      from,
      url: "https://apex.example.com/w",
      statusCallbackEvent: ["initiated", "answered", "completed"],
    });
    expect(sent().body.getAll("StatusCallbackEvent")).toEqual(["initiated", "answered", "completed"]);
  });

  it("sends a text through the account's Messages.json and answers with its SID", async () => {
    const to = testPhone();
    const message = await twilioClient(env).messages.create({ to, from, body: "Thanks, we will call you back." });
    expect(message.sid).toMatch(/^SM/);
    expect((await simMessages()).find((m) => m.to === to)?.body).toBe("Thanks, we will call you back.");
  });

  it("rejects Twilio's refusal as a RestException: numeric HTTP status and Twilio error code", async () => {
    const error = await refusal(twilioClient(env).calls.create({ to: testPhone(), from }));
    expect(error).toMatchObject({ status: 400, code: 21201 });
  });

  it("rejects credentials Twilio refuses with status 401 and code 20003", async () => {
    const error = await refusal(
      twilioClient({ ...env, TWILIO_AUTH_TOKEN: "wrong" }).messages.create({ to: testPhone(), from, body: "x" }),
    );
    expect(error).toMatchObject({ status: 401, code: 20003 });
  });

  it("rejects an answer it cannot read without a Twilio status, so a caller knows the outcome is unknown", async () => {
    const to = testPhone();
    await scriptPhone(to, { answer: "busy", lostResponse: true });
    const error = await refusal(twilioClient(env).calls.create({ to, from, url: "https://apex.example.com/w" }));
    expect(typeof error.status).not.toBe("number");
  });

  it("fetches the account with GET /2010-04-01/Accounts/{sid}.json", async () => {
    const sent = watchFetch();
    const account = await twilioClient(env)
      .api.v2010.accounts(env.TWILIO_ACCOUNT_SID as string)
      .fetch();
    expect(sent().url.pathname).toBe(`/2010-04-01/Accounts/${env.TWILIO_ACCOUNT_SID}.json`);
    expect(sent().init.method).toBe("GET");
    expect(account).toMatchObject({ sid: env.TWILIO_ACCOUNT_SID, status: "active" });
  });

  it("refuses to build a client without an account SID and auth token", () => {
    expect(() => twilioClient({ TWILIO_ACCOUNT_SID: env.TWILIO_ACCOUNT_SID })).toThrow(/not configured/);
  });
});
