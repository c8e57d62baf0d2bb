import { errors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { fromBase64Url } from "./encoding";

/**
 * Access tokens: short-lived HS256 JWTs. Keys come from the JWT_SIGNING_KEYS
 * secret, a JSON array of {kid, secret}; the first signs, all verify, so a new
 * key is rolled in ahead of use and an old one kept until its tokens expire.
 * The algorithm is pinned: the token header never chooses how it is checked
 * (no `none`, no RS/HS confusion).
 */
export const ISSUER = "apex";
export const AUDIENCE = "apex-api";
export const ACCESS_TOKEN_SECONDS = 15 * 60;
const ALGORITHM = "HS256";

const keyList = z
  .array(z.object({ kid: z.string().min(1), secret: z.string().min(32) }))
  .min(1, "JWT_SIGNING_KEYS needs at least one key");

export interface SigningKeys {
  active: { kid: string; key: Uint8Array };
  byKid: Map<string, Uint8Array>;
}

let lastParsed: { raw: string; keys: SigningKeys } | undefined;

/** Parsed once per isolate and key set: every authenticated request needs the keys. */
export function parseSigningKeys(raw: string | undefined): SigningKeys {
  if (!raw) throw new Error("JWT_SIGNING_KEYS is not configured");
  if (lastParsed?.raw === raw) return lastParsed.keys;
  const keys = keyList.parse(JSON.parse(raw));
  const byKid = new Map(keys.map((k) => [k.kid, fromBase64Url(k.secret)] as const));
  const first = keys[0] as { kid: string };
  const parsed = { active: { kid: first.kid, key: byKid.get(first.kid) as Uint8Array }, byKid };
  lastParsed = { raw, keys: parsed };
  return parsed;
}

const imported = new WeakMap<Uint8Array, CryptoKey>();

/**
 * The HMAC key for a secret, imported once: handed raw bytes, jose imports
 * them again on every sign and verify. Only the resolved key is kept (not a
 * pending promise), so no request waits on another's work.
 */
export async function hmacKey(secret: Uint8Array): Promise<CryptoKey> {
  const known = imported.get(secret);
  if (known) return known;
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
  imported.set(secret, key);
  return key;
}

interface AccessClaims {
  userId: string;
  tenantId: string;
  role: string;
  /** The session (one per login, kept across refreshes): logout revokes it, and with it this token. */
  sessionId: string;
  /** The user's membership version when minted; a role change or removal makes the token stale. */
  membershipVersion: number;
}

export async function signAccessToken(keys: SigningKeys, claims: AccessClaims, now = Date.now()): Promise<string> {
  const seconds = Math.floor(now / 1000);
  return new SignJWT({ tid: claims.tenantId, role: claims.role, sid: claims.sessionId, mv: claims.membershipVersion })
    .setProtectedHeader({ alg: ALGORITHM, kid: keys.active.kid, typ: "JWT" })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(seconds)
    .setNotBefore(seconds)
    .setExpirationTime(seconds + ACCESS_TOKEN_SECONDS)
    .sign(await hmacKey(keys.active.key));
}

interface VerifiedAccessToken extends AccessClaims {
  kid: string;
  issuer: string;
}

/** `sid` and `mv` are required: a token without them could not be revoked, so it is not accepted. */
const payload = z.object({
  sub: z.uuid(),
  tid: z.uuid(),
  role: z.enum(["owner", "admin", "member", "viewer"]),
  sid: z.uuid(),
  mv: z.number().int().min(0),
});

/**
 * Tokens this isolate has verified, by their exact text, with the key set
 * that verified them and their validity window: a client sends the same
 * token for up to 15 minutes, and checking its signature and claims again
 * each time was a measurable share of an API request (decision 032). A hit
 * needs the same key set (a rotation empties the cache in effect) and is
 * checked against the clock like a new token. Only successes are kept,
 * at most VERIFIED_KEPT, the oldest dropped first.
 */
const verified = new Map<
  string,
  { keys: SigningKeys; notBefore: number; expires: number; token: VerifiedAccessToken }
>();
const VERIFIED_KEPT = 1_000;

/** Throws on anything short of a valid token signed by one of our keys. */
export async function verifyAccessToken(
  keys: SigningKeys,
  token: string,
  now = Date.now(),
): Promise<VerifiedAccessToken> {
  const seconds = Math.floor(now / 1000);
  const known = verified.get(token);
  if (known && known.keys === keys && seconds >= known.notBefore && seconds < known.expires) return known.token;
  const fresh = await verifyAccessTokenNow(keys, token, now);
  verified.delete(token); // re-verified under another key set: it moves to the newest end
  if (verified.size >= VERIFIED_KEPT) verified.delete(verified.keys().next().value as string);
  verified.set(token, { keys, ...fresh });
  return fresh.token;
}

async function verifyAccessTokenNow(
  keys: SigningKeys,
  token: string,
  now: number,
): Promise<{ notBefore: number; expires: number; token: VerifiedAccessToken }> {
  let kid = "";
  const result = await jwtVerify(
    token,
    (header) => {
      const key = header.kid ? keys.byKid.get(header.kid) : undefined;
      if (!key) throw new errors.JWKSNoMatchingKey();
      kid = header.kid as string;
      return hmacKey(key);
    },
    {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ["exp", "nbf", "iat", "sub"],
      currentDate: new Date(now),
    },
  );
  const claims = payload.parse(result.payload);
  return {
    // Present: requiredClaims above.
    notBefore: result.payload.nbf as number,
    expires: result.payload.exp as number,
    // Frozen: a cached result is handed to every request that shows the same token.
    token: Object.freeze({
      userId: claims.sub,
      tenantId: claims.tid,
      role: claims.role,
      sessionId: claims.sid,
      membershipVersion: claims.mv,
      kid,
      issuer: ISSUER,
    }),
  };
}
