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
 * X-Twilio-Signature over the public URL Twilio was given (PUBLIC_BASE_URL,
 * never the Host header, which a proxy or an attacker can change) and the
 * form parameters.
 */
export function validTwilioSignature(
  env: TwilioConfig,
  signature: string | undefined,
  publicUrl: string,
  params: Record<string, string>,
): boolean {
  if (!signature || !env.TWILIO_AUTH_TOKEN) return false;
  return twilio.validateRequest(env.TWILIO_AUTH_TOKEN, signature, publicUrl, params);
}

export const VoiceResponse = twilio.twiml.VoiceResponse;
export const MessagingResponse = twilio.twiml.MessagingResponse;
