import twilio from "twilio";
import type { RequestOptions } from "twilio/lib/base/RequestClient";
import type TwilioResponse from "twilio/lib/http/response";

/**
 * Twilio through its own Node library, with one seam: the library's HTTP
 * client is replaced by `fetch` (workerd has no Node https agent), and in
 * development and tests the API origin is swapped for the local simulator
 * named by TWILIO_API_BASE_URL. Everything else — resource paths, form
 * encoding, auth, error parsing — is the library's.
 */
class FetchHttpClient {
  readonly apiBase: string | undefined;
  lastResponse: TwilioResponse<unknown> | undefined;

  constructor(apiBase: string | undefined) {
    this.apiBase = apiBase;
  }

  async request(options: RequestOptions): Promise<TwilioResponse<unknown>> {
    const url = new URL(options.uri);
    if (this.apiBase) {
      const base = new URL(this.apiBase);
      url.protocol = base.protocol;
      url.host = base.host;
    }
    for (const [key, value] of Object.entries(options.params ?? {})) url.searchParams.append(key, String(value));
    const headers = new Headers(options.headers as Record<string, string> | undefined);
    if (options.authStrategy) headers.set("Authorization", await options.authStrategy.getAuthString());
    else if (options.username) headers.set("Authorization", `Basic ${btoa(`${options.username}:${options.password}`)}`);
    let body: string | undefined;
    if (options.data && typeof options.data === "object") {
      const form = new URLSearchParams();
      for (const [key, value] of Object.entries(options.data as Record<string, unknown>)) {
        if (value === undefined) continue;
        for (const item of Array.isArray(value) ? value : [value]) form.append(key, String(item));
      }
      body = form.toString();
    }
    const response = await fetch(url, {
      method: options.method.toUpperCase(),
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(options.timeout ?? 15_000),
    });
    const text = await response.text();
    // The shape the library reads (statusCode, body, headers). Not `new Response(…)` from
    // twilio/lib/http/response: bundled by wrangler its CJS default export is not a
    // constructor, and a throw here — after Twilio accepted the call — made a retry dial again.
    this.lastResponse = {
      statusCode: response.status,
      body: text,
      headers: Object.fromEntries(response.headers),
    } as TwilioResponse<unknown>;
    return this.lastResponse;
  }
}

export interface TwilioConfig {
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_API_BASE_URL?: string;
}

export function twilioConfigured(env: TwilioConfig): boolean {
  return Boolean(env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN);
}

export function twilioClient(env: TwilioConfig) {
  if (!env.TWILIO_ACCOUNT_SID || !env.TWILIO_AUTH_TOKEN) {
    throw new Error("Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN");
  }
  return twilio(env.TWILIO_ACCOUNT_SID, env.TWILIO_AUTH_TOKEN, {
    // The library's RequestClient type is nominal; ours has the one method it calls.
    httpClient: new FetchHttpClient(env.TWILIO_API_BASE_URL || undefined) as never,
  });
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
  const base = new URL(env.TWILIO_API_BASE_URL || "https://api.twilio.com");
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
