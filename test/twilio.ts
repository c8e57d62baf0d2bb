import { env } from "cloudflare:workers";
import { request } from "./helpers";

/**
 * The test side of the Twilio simulator's pull mode: take the webhooks it
 * parked for one tenant, deliver them into the Worker exactly as Twilio would
 * (same URL, form body and X-Twilio-Signature), and hand the Worker's answer
 * back so the simulated call goes on.
 */
interface DeliveredWebhook {
  url: string;
  params: Record<string, string>;
  status: number;
  body: string;
}

const sim = (path: string, init?: RequestInit) => fetch(`${env.TWILIO_SIMULATOR_URL}${path}`, init);

export async function deliverTwilioWebhooks(
  match: string | string[],
  done: () => Promise<boolean>,
  timeoutMs = 20_000,
  options: { workerDown?: boolean } = {},
): Promise<DeliveredWebhook[]> {
  const delivered: DeliveredWebhook[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const query = [match]
      .flat()
      .map((m) => `match=${encodeURIComponent(m)}`)
      .join("&");
    const taken = await sim(`/_sim/outbox?wait=100&${query}`);
    if (taken.status === 200) {
      const item = await taken.json<{
        id: string;
        url: string;
        method?: string;
        params: Record<string, string>;
        signature: string;
      }>();
      const answer = await answerOf(item, options);
      delivered.push({ url: item.url, params: item.params, ...answer });
      await sim(`/_sim/outbox/${item.id}`, { method: "POST", body: JSON.stringify(answer) });
      continue;
    }
    if (await done()) return delivered;
  }
  throw new Error(`Twilio webhooks for ${match} did not settle in ${timeoutMs} ms; delivered ${delivered.length}`);
}

/**
 * What Twilio gets back: a document from the public fallback bucket is read
 * straight from R2 (as R2's public access serves it, no Worker involved); a
 * webhook goes into the Worker — or, with the Worker "down", gets a 503.
 */
async function answerOf(
  item: { url: string; method?: string; params: Record<string, string>; signature: string },
  options: { workerDown?: boolean },
): Promise<{ status: number; body: string }> {
  if (env.FALLBACK_TWIML_PUBLIC_URL && item.url.startsWith(env.FALLBACK_TWIML_PUBLIC_URL)) {
    const key = new URL(item.url).pathname.replace(/^\//, "");
    const object = await env.FALLBACK_TWIML.get(key);
    return object ? { status: 200, body: await object.text() } : { status: 404, body: "" };
  }
  if (options.workerDown) return { status: 503, body: "" };
  const url = new URL(item.url);
  const response = await request(`${url.pathname}${url.search}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": item.signature },
    body: new URLSearchParams(item.params).toString(),
  });
  return { status: response.status, body: await response.text() };
}

export async function scriptPhone(
  phone: string,
  script: {
    answer?: string;
    press?: string | null;
    talkSeconds?: number;
    lostResponse?: boolean;
    /** As a caller: seconds of voicemail left at a <Record>. */
    voicemailSeconds?: number;
    /** What this person says on the call or into the voicemail: what its recording transcribes to. */
    says?: string;
  },
) {
  await sim(`/_sim/phones/${encodeURIComponent(phone)}`, { method: "PUT", body: JSON.stringify(script) });
}

export async function configureNumber(number: string, urls: { voiceUrl?: string; smsUrl?: string }) {
  await sim(`/_sim/numbers/${encodeURIComponent(number)}`, { method: "PUT", body: JSON.stringify(urls) });
}

export interface SimCall {
  sid: string;
  from: string;
  to: string;
  status: string;
  direction: string;
  steps: string[];
}

export async function simCalls(): Promise<SimCall[]> {
  return (await (await sim("/_sim/calls")).json<{ calls: SimCall[] }>()).calls;
}

export async function simMessages(): Promise<{ from: string; to: string; body: string; direction: string }[]> {
  return (
    await (
      await sim("/_sim/messages")
    ).json<{ messages: { from: string; to: string; body: string; direction: string }[] }>()
  ).messages;
}

export async function simulateInboundSms(input: { from: string; to: string; body: string }) {
  return sim("/_sim/inbound-sms", { method: "POST", body: JSON.stringify(input) });
}

/** A fresh US number per test, so scripted phones never collide across tests. */
export function testPhone(): string {
  return `+1555${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
}

export async function simulateInboundCall(input: { from: string; to: string }) {
  return sim("/_sim/inbound-call", { method: "POST", body: JSON.stringify(input) });
}
