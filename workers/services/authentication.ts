import { z } from "zod";
import type { Database } from "../../schema/db";
import { parseSigningKeys, verifyAccessToken } from "../auth/access-tokens";
import { sha256Hex } from "../auth/encoding";
import type { AuthContext } from "../context";
import { problems } from "../problems";
import { findActiveApiKey } from "../repositories/identity";

/** API keys read `ak_<tenant uuid>_<secret>`: the tenant part lets the lookup run under that tenant's RLS. */
const API_KEY = /^ak_([0-9a-f-]{36})_[A-Za-z0-9_-]{32,}$/;

function credentialFrom(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (header) {
    const [scheme, value] = header.split(" ");
    return scheme?.toLowerCase() === "bearer" && value ? value.trim() : undefined;
  }
  return request.headers.get("x-api-key")?.trim() || undefined;
}

/**
 * Verifies the caller. Every failure is the same 401 to the client (the
 * reason is logged, never told): no oracle for which part of a token was off.
 */
export async function authenticate(request: Request, env: Env, db: () => Database): Promise<AuthContext> {
  const credential = credentialFrom(request);
  if (!credential) throw problems.unauthorized("Send a bearer access token or an API key.");

  const apiKey = API_KEY.exec(credential);
  if (apiKey) {
    const tenantId = apiKey[1] as string;
    if (!z.uuid().safeParse(tenantId).success) throw problems.unauthorized("The API key is not valid.");
    const row = await findActiveApiKey(db(), tenantId, await sha256Hex(credential));
    if (!row || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) {
      throw problems.unauthorized("The API key is not valid.");
    }
    return { method: "api-key", tenantId, role: row.role, apiKeyId: row.id, verifiedAt: new Date() };
  }

  try {
    const token = await verifyAccessToken(parseSigningKeys(env.JWT_SIGNING_KEYS), credential);
    return {
      method: "jwt",
      tenantId: token.tenantId,
      userId: token.userId,
      role: token.role as AuthContext["role"],
      kid: token.kid,
      issuer: token.issuer,
      verifiedAt: new Date(),
    };
  } catch (error) {
    console.warn(JSON.stringify({ level: "warn", msg: "access token refused", reason: String(error) }));
    throw problems.unauthorized("The access token is not valid.");
  }
}
