import { VoiceResponse } from "../integrations/twilio/twiml";
import type { SpeedToLeadSettings } from "./settings";

/**
 * The document a tracking number falls back to when Apex cannot answer its
 * call (the Worker down, slow past Twilio's 15 s, or erroring): static TwiML
 * in a public bucket that Twilio fetches by GET, so the caller still reaches
 * the owner — and the backups, rung together — with nothing of Apex running.
 * It is rewritten whenever the phones it names change. No recording and no
 * callbacks: those would need the Worker that is down. Decision 024.
 *
 * The object key is derived here from the tenant and the number with a
 * server-held secret, never from anything a tenant writes, and is
 * unguessable: the bucket is public, and the document names the owner's phone.
 */
export function fallbackTwiml(settings: Pick<SpeedToLeadSettings, "ownerPhone" | "backupPhones">): string {
  const twiml = new VoiceResponse();
  const phones = [settings.ownerPhone, ...settings.backupPhones].filter((p): p is string => Boolean(p));
  if (phones.length === 0) {
    twiml.say("Sorry, nobody can take your call right now. Please try again shortly.");
    twiml.hangup();
    return twiml.toString();
  }
  const dial = twiml.dial({ timeout: 30 });
  for (const phone of phones) dial.number(phone);
  return twiml.toString();
}

export async function fallbackKey(env: Pick<Env, "SECRETS_ENCRYPTION_KEY">, tenantId: string, number: string) {
  if (!env.SECRETS_ENCRYPTION_KEY) throw new Error("SECRETS_ENCRYPTION_KEY is not set");
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(env.SECRETS_ENCRYPTION_KEY),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`fallback-twiml:${tenantId}:${number}`));
  const hex = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `fallback/${hex.slice(0, 40)}.xml`;
}

/** Where Twilio fetches it, or undefined where no public bucket is configured. */
export function fallbackUrl(env: Pick<Env, "FALLBACK_TWIML_PUBLIC_URL">, key: string): string | undefined {
  if (!env.FALLBACK_TWIML_PUBLIC_URL) return undefined;
  return new URL(
    key,
    env.FALLBACK_TWIML_PUBLIC_URL.endsWith("/") ? env.FALLBACK_TWIML_PUBLIC_URL : `${env.FALLBACK_TWIML_PUBLIC_URL}/`,
  ).toString();
}

/** Writes the number's document; answers the URL to give Twilio (undefined without a public bucket). */
export async function publishFallback(
  env: Pick<Env, "FALLBACK_TWIML" | "FALLBACK_TWIML_PUBLIC_URL" | "SECRETS_ENCRYPTION_KEY">,
  tenantId: string,
  number: string,
  settings: Pick<SpeedToLeadSettings, "ownerPhone" | "backupPhones">,
): Promise<string | undefined> {
  const key = await fallbackKey(env, tenantId, number);
  await env.FALLBACK_TWIML.put(key, fallbackTwiml(settings), {
    httpMetadata: { contentType: "text/xml; charset=utf-8", cacheControl: "no-cache" },
  });
  return fallbackUrl(env, key);
}

export async function withdrawFallback(
  env: Pick<Env, "FALLBACK_TWIML" | "SECRETS_ENCRYPTION_KEY">,
  tenantId: string,
  number: string,
) {
  await env.FALLBACK_TWIML.delete(await fallbackKey(env, tenantId, number));
}
