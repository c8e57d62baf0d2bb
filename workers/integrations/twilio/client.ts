import type { RequestOpts } from "twilio/lib/base/BaseTwilio";
import DomainModule from "twilio/lib/base/Domain";
import VersionModule from "twilio/lib/base/Version";
import type TwilioResponse from "twilio/lib/http/response";
import type V2010 from "twilio/lib/rest/api/V2010";
import { LocalListInstance } from "twilio/lib/rest/api/v2010/account/availablePhoneNumberCountry/local";
import { CallListInstance } from "twilio/lib/rest/api/v2010/account/call";
import { IncomingPhoneNumberListInstance } from "twilio/lib/rest/api/v2010/account/incomingPhoneNumber";
import { MessageListInstance } from "twilio/lib/rest/api/v2010/account/message";

/**
 * Twilio's REST API through the pieces of its own Node library that Apex
 * uses: the generated Calls and Messages resources (parameter names, form
 * encoding, the instance they answer with) on the library's `Version`, which
 * parses answers and throws its RestException. Not `twilio()` itself: that
 * pulls every Twilio product and axios into the Worker (~8 MiB of a 12.7 MiB
 * bundle, parsed on every cold start; docs/decisions/021-lean-worker.md).
 *
 * What the library's client (BaseTwilio) did around each request is here:
 * its headers, Basic auth, and the transport — `fetch`, since workerd has no
 * Node https agent. In development and tests the API origin is the local
 * simulator named by TWILIO_API_BASE_URL.
 */
const TWILIO_API = "https://api.twilio.com";

/**
 * The library's `exports.default`: esbuild, bundling a `"type": "module"`
 * package, hands a default import the whole CommonJS `module.exports`.
 */
function commonJsDefault<T>(module: T): T {
  return typeof module === "function" ? module : (module as unknown as { default: T }).default;
}
const Domain = commonJsDefault(DomainModule);
const Version = commonJsDefault(VersionModule);

/** What the library's Domain calls on its client: one request, answered as { statusCode, body, headers }. */
class FetchRequester {
  constructor(
    private readonly accountSid: string,
    private readonly authToken: string,
  ) {}

  async request(options: RequestOpts): Promise<TwilioResponse<unknown>> {
    const url = new URL(options.uri ?? "");
    for (const [key, value] of Object.entries(options.params ?? {})) url.searchParams.append(key, String(value));
    const method = (options.method ?? "get").toUpperCase();
    const headers = new Headers(options.headers as Record<string, string> | undefined);
    headers.set("Authorization", `Basic ${btoa(`${this.accountSid}:${this.authToken}`)}`);
    headers.set("User-Agent", "twilio-node (apex; fetch)");
    headers.set("Accept-Charset", "utf-8");
    if (!headers.has("Accept")) headers.set("Accept", "application/json");
    let body: string | undefined;
    if (options.data && typeof options.data === "object") {
      // Twilio's form encoding: a list is the same key repeated (StatusCallbackEvent=a&StatusCallbackEvent=b).
      const form = new URLSearchParams();
      for (const [key, value] of Object.entries(options.data as Record<string, unknown>)) {
        if (value === undefined) continue;
        for (const item of Array.isArray(value) ? value : [value]) form.append(key, String(item));
      }
      body = form.toString();
      if (!headers.has("Content-Type")) headers.set("Content-Type", "application/x-www-form-urlencoded");
    }
    const response = await fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(options.timeout ?? 15_000),
    });
    const text = await response.text();
    // The shape the library reads. Not `new Response(…)` from twilio/lib/http/response: a throw
    // here — after Twilio accepted the call — would make a retry dial again.
    return {
      statusCode: response.status,
      body: text,
      headers: Object.fromEntries(response.headers),
    } as TwilioResponse<unknown>;
  }
}

export interface TwilioConfig {
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_API_BASE_URL?: string;
}

/** The account as GET /2010-04-01/Accounts/{sid}.json answers it (the fields Apex reads). */
export interface TwilioAccount {
  sid: string;
  status: "active" | "suspended" | "closed" | (string & {});
  /** Answered to the parent account that created it (a subaccount), never to the account itself. */
  auth_token?: string;
  owner_account_sid?: string;
}

/** The parts of Twilio's REST API Apex calls, named as `twilio(…)` names them. */
export interface TwilioRestClient {
  /** The account this client acts as: the platform's, or a tenant's subaccount. */
  accountSid: string;
  calls: CallListInstance;
  messages: MessageListInstance;
  /** The account's own numbers: buy (create), find, set their URLs (update), release (remove). */
  incomingPhoneNumbers: IncomingPhoneNumberListInstance;
  /** Numbers for sale: `availableLocalNumbers("US").list({ areaCode })`. */
  availableLocalNumbers(country: string): ReturnType<typeof LocalListInstance>;
  api: {
    v2010: {
      accounts: ((sid: string) => { fetch(): Promise<TwilioAccount> }) & {
        create(params: { friendlyName: string }): Promise<TwilioAccount>;
      };
    };
  };
}

export function twilioConfigured(env: TwilioConfig): boolean {
  return Boolean(env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN);
}

export function twilioClient(env: TwilioConfig): TwilioRestClient {
  const accountSid = env.TWILIO_ACCOUNT_SID;
  if (!accountSid || !env.TWILIO_AUTH_TOKEN) {
    throw new Error("Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN");
  }
  const origin = new URL(env.TWILIO_API_BASE_URL || TWILIO_API).origin;
  // The library's Domain expects its full client; it calls only `request`.
  const domain = new Domain(new FetchRequester(accountSid, env.TWILIO_AUTH_TOKEN) as never, origin);
  // The resources are typed against the generated V2010 version, which would import every
  // other v2010 resource; they use only what the base Version has.
  const v2010 = new Version(domain, "2010-04-01") as V2010;
  // The library's own fetch and create (status check, RestException), without the generated
  // AccountInstance wrapper: that module imports every resource under the account.
  const accounts = Object.assign(
    (sid: string) => ({
      fetch: () =>
        v2010.fetch({
          uri: `/Accounts/${encodeURIComponent(sid)}.json`,
          method: "get",
          headers: { Accept: "application/json" },
        }) as Promise<TwilioAccount>,
    }),
    {
      create: (params: { friendlyName: string }) =>
        v2010.create({
          uri: "/Accounts.json",
          method: "post",
          data: { FriendlyName: params.friendlyName },
          headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        }) as Promise<TwilioAccount>,
    },
  );
  return {
    accountSid,
    calls: CallListInstance(v2010, accountSid),
    messages: MessageListInstance(v2010, accountSid),
    incomingPhoneNumbers: IncomingPhoneNumberListInstance(v2010, accountSid),
    availableLocalNumbers: (country) => LocalListInstance(v2010, accountSid, country),
    api: { v2010: { accounts } },
  };
}

/**
 * A recording's audio, fetched from Twilio's own API by RecordingSid: the one
 * place the platform's credentials are sent besides the REST client. The URL
 * is built here from the API base and the account, never taken from a
 * callback or a record, and a redirect (Twilio may answer with one to its
 * media storage) is followed without the Authorization header.
 */
export async function downloadRecording(env: TwilioConfig, recordingSid: string): Promise<Response> {
  if (!/^RE[0-9a-fA-F]{32}$/.test(recordingSid)) throw new Error("not a recording SID");
  if (!env.TWILIO_ACCOUNT_SID || !env.TWILIO_AUTH_TOKEN) throw new Error("Twilio is not configured");
  const base = new URL(env.TWILIO_API_BASE_URL || TWILIO_API);
  const url = new URL(
    `/2010-04-01/Accounts/${encodeURIComponent(env.TWILIO_ACCOUNT_SID)}/Recordings/${recordingSid}.wav`,
    base,
  );
  const response = await fetch(url, {
    headers: { authorization: `Basic ${btoa(`${env.TWILIO_ACCOUNT_SID}:${env.TWILIO_AUTH_TOKEN}`)}` },
    redirect: "manual",
    signal: AbortSignal.timeout(30_000),
  });
  const location = response.headers.get("location");
  if (response.status >= 300 && response.status < 400 && location) {
    const target = new URL(location, url);
    if (target.protocol !== "https:" && target.origin !== base.origin) throw new Error("recording redirect refused");
    return fetch(target, { redirect: "manual", signal: AbortSignal.timeout(30_000) });
  }
  return response;
}
