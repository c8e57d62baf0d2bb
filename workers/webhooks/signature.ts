import { timingSafeEqual } from "../auth/encoding";

/**
 * Outbound webhook signatures. Each delivery carries
 *
 *   Apex-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * A receiver recomputes the HMAC over the raw body with its endpoint secret,
 * compares in constant time, and rejects a timestamp outside its replay
 * window (five minutes is what we recommend), so a captured delivery cannot
 * be replayed later. The timestamp is inside the signed text: changing it
 * breaks the signature.
 */
export const SIGNATURE_HEADER = "Apex-Signature";
const REPLAY_WINDOW_SECONDS = 300;

const encoder = new TextEncoder();

async function hmacHex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function signatureHeader(secret: string, body: string, unixSeconds: number): Promise<string> {
  return `t=${unixSeconds},v1=${await hmacHex(secret, `${unixSeconds}.${body}`)}`;
}

type Verification = { valid: true } | { valid: false; reason: string };

/** What a receiver does; Apex uses it in its own tests and documents it for integrators. */
export async function verifySignature(
  secret: string,
  header: string | null,
  body: string,
  nowSeconds: number,
  windowSeconds = REPLAY_WINDOW_SECONDS,
): Promise<Verification> {
  const parts = Object.fromEntries((header ?? "").split(",").map((p) => p.trim().split("=", 2) as [string, string]));
  const t = Number(parts.t);
  if (!parts.t || !Number.isInteger(t) || !parts.v1) return { valid: false, reason: "malformed signature header" };
  if (Math.abs(nowSeconds - t) > windowSeconds) return { valid: false, reason: "timestamp outside the replay window" };
  const expected = await hmacHex(secret, `${t}.${body}`);
  return timingSafeEqual(encoder.encode(expected), encoder.encode(parts.v1))
    ? { valid: true }
    : { valid: false, reason: "signature mismatch" };
}
