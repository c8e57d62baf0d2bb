import { errors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { hmacKey, ISSUER, type SigningKeys } from "./access-tokens";

/**
 * Signed download links: a short-lived HS256 JWT, in the URL, that names one
 * ticket of one tenant. Anyone holding the link may fetch that one file until
 * it expires — which is what lets a browser, curl or an email link download an
 * export without an Authorization header. Its own audience keeps it from ever
 * passing as an access token (and an access token from passing as a link).
 */
const AUDIENCE = "apex-download";
const DOWNLOAD_LINK_SECONDS = 60 * 60;

const claims = z.object({ sub: z.uuid(), tid: z.uuid() });

export async function signDownloadToken(
  keys: SigningKeys,
  target: { tenantId: string; ticketId: string },
  now = Date.now(),
): Promise<{ token: string; expiresAt: string }> {
  const seconds = Math.floor(now / 1000);
  const exp = seconds + DOWNLOAD_LINK_SECONDS;
  const token = await new SignJWT({ tid: target.tenantId })
    .setProtectedHeader({ alg: "HS256", kid: keys.active.kid, typ: "JWT" })
    .setSubject(target.ticketId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(seconds)
    .setExpirationTime(exp)
    .sign(await hmacKey(keys.active.key));
  return { token, expiresAt: new Date(exp * 1000).toISOString() };
}

/** The tenant and ticket a link grants; throws when it is forged, expired or for something else. */
export async function verifyDownloadToken(
  keys: SigningKeys,
  token: string,
): Promise<{ tenantId: string; ticketId: string }> {
  const result = await jwtVerify(
    token,
    (header) => {
      const key = header.kid ? keys.byKid.get(header.kid) : undefined;
      if (!key) throw new errors.JWKSNoMatchingKey();
      return hmacKey(key);
    },
    { algorithms: ["HS256"], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ["exp", "sub"] },
  );
  const parsed = claims.parse(result.payload);
  return { tenantId: parsed.tid, ticketId: parsed.sub };
}
