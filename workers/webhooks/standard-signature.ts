import { toBase64 } from "../auth/encoding";

/**
 * Outbound webhook signatures as Standard Webhooks 1.0 defines them
 * (standardwebhooks.com), so a receiver verifies with an off-the-shelf library
 * in its own language instead of code it writes from our docs:
 *
 *   webhook-id:        unique per message, the same on every retry (the receiver's idempotency key)
 *   webhook-timestamp: unix seconds of this attempt (the receiver's replay window)
 *   webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<raw body>")>
 *
 * The signature header is a space-separated list so that during a secret
 * rotation one delivery can carry a signature for the old and the new key.
 * This is our signer, on Web Crypto; tests verify it with the `standardwebhooks`
 * package, so independent code checks it.
 */
export const SECRET_PREFIX = "whsec_";

/** The spec asks for 24 to 64 random bytes; 32 is SHA-256's own size. */
const SECRET_BYTES = 32;

const encoder = new TextEncoder();

/** A new endpoint's secret: `whsec_` and standard base64 of random bytes, shown to the tenant once. */
export function newSecret(): string {
  return `${SECRET_PREFIX}${toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))}`;
}

/**
 * The HMAC key a secret stands for. "base64": the spec's form, the bytes the
 * part after `whsec_` decodes to. "raw": the secret's own characters, which is
 * how a legacy secret (base64url, not base64) keyed Apex-Signature — the
 * libraries take the same option (`new Webhook(secret, { format: "raw" })`),
 * so a legacy receiver moves to Standard Webhooks without a new secret.
 */
export function signingKey(secret: string, format: "base64" | "raw"): Uint8Array {
  if (format === "raw") return encoder.encode(secret);
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("a Standard Webhooks secret starts with whsec_");
  const binary = atob(secret.slice(SECRET_PREFIX.length));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function hmacBase64(key: Uint8Array, text: string): Promise<string> {
  const hmac = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", hmac, encoder.encode(text))));
}

interface SignedMessage {
  /** Must not contain "." (the spec: it would make "<id>.<timestamp>." ambiguous). */
  id: string;
  /** Unix seconds. */
  timestamp: number;
  /** The exact bytes sent; any re-serialization breaks the signature. */
  body: string;
}

/** The three Standard Webhooks headers for one attempt, signed with every key given (one, or two while rotating). */
export async function standardWebhookHeaders(
  keys: readonly Uint8Array[],
  { id, timestamp, body }: SignedMessage,
): Promise<Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string>> {
  if (id.includes(".") || id.length === 0)
    throw new Error(`webhook id ${JSON.stringify(id)} must be non-empty, no "."`);
  if (!Number.isInteger(timestamp)) throw new Error("webhook timestamp must be whole unix seconds");
  if (keys.length === 0) throw new Error("a webhook needs at least one signing key");
  const signed = `${id}.${timestamp}.${body}`;
  const signatures = await Promise.all(keys.map(async (key) => `v1,${await hmacBase64(key, signed)}`));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatures.join(" "),
  };
}
