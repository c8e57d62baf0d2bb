import { fromBase64Url, toBase64Url } from "../auth/encoding";

/**
 * Secrets at rest (provider API keys): AES-256-GCM with a key from the
 * SECRETS_ENCRYPTION_KEY Worker secret (32 bytes, base64url). The tenant id
 * is the associated data, so a ciphertext copied to another tenant's row does
 * not decrypt. Format: `v1.<iv>.<ciphertext>`.
 */
async function importKey(secret: string | undefined): Promise<CryptoKey> {
  if (!secret) throw new Error("SECRETS_ENCRYPTION_KEY is not configured");
  const raw = fromBase64Url(secret);
  if (raw.byteLength !== 32) throw new Error("SECRETS_ENCRYPTION_KEY must be 32 bytes, base64url");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function sealSecret(keySecret: string | undefined, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
    await importKey(keySecret),
    new TextEncoder().encode(plaintext),
  );
  return `v1.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`;
}

export async function openSecret(keySecret: string | undefined, sealed: string, context: string): Promise<string> {
  const [version, iv, data] = sealed.split(".");
  if (version !== "v1" || !iv || !data) throw new Error("not a sealed secret");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64Url(iv), additionalData: new TextEncoder().encode(context) },
    await importKey(keySecret),
    fromBase64Url(data),
  );
  return new TextDecoder().decode(plain);
}

/** What may be shown of a secret: its last four characters. */
export const secretHint = (secret: string) => `…${secret.slice(-4)}`;
