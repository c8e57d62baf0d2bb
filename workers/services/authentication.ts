import { z } from "zod";
import type { BucketPolicy, RateDecision } from "../../durable-objects/capabilities/rate-limits";
import type { SessionVerdict } from "../../durable-objects/capabilities/sessions";
import type { Database } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import { parseSigningKeys, verifyAccessToken } from "../auth/access-tokens";
import { sha256Hex } from "../auth/encoding";
import { ROLE_RANK } from "../auth/roles";
import type { AuthContext } from "../context";
import { problems } from "../problems";
import { findActiveApiKey, membershipRole } from "../repositories/identity";

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

function refused(reason: string, detail: string): never {
  console.warn(JSON.stringify({ level: "warn", msg: "credential refused", reason }));
  throw problems.unauthorized(detail);
}

/**
 * Checks the credential itself: an access token's signature and claims, or
 * an API key against Postgres. Every failure is the same 401 to the client
 * (the reason is logged, never told): no oracle for which part was off.
 *
 * An API key acts for the member who created it and never holds more than
 * that member holds now: the lookup joins the creator's membership, so a key
 * stops working the moment its creator leaves or is demoted below the key's
 * role (decision 012). A key with no creator on record is refused.
 */
export async function verifyCredential(request: Request, env: Env, db: () => Database): Promise<AuthContext> {
  const credential = credentialFrom(request);
  if (!credential) throw problems.unauthorized("Send a bearer access token or an API key.");

  const apiKey = API_KEY.exec(credential);
  if (apiKey) {
    const tenantId = apiKey[1] as string;
    if (!z.uuid().safeParse(tenantId).success) refused("malformed tenant", "The API key is not valid.");
    const row = await findActiveApiKey(db(), tenantId, await sha256Hex(credential));
    if (!row || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) {
      refused("unknown, revoked or expired key", "The API key is not valid.");
    }
    if (!row.createdBy || !row.creatorRole || ROLE_RANK[row.creatorRole] < ROLE_RANK[row.role]) {
      refused("key outlived its creator's membership or role", "The API key is not valid.");
    }
    return {
      method: "api-key",
      tenantId,
      role: row.role,
      apiKeyId: row.id,
      userId: row.createdBy,
      verifiedAt: new Date(),
    };
  }

  try {
    const token = await verifyAccessToken(parseSigningKeys(env.JWT_SIGNING_KEYS), credential);
    return {
      method: "jwt",
      tenantId: token.tenantId,
      userId: token.userId,
      role: token.role as AuthContext["role"],
      sessionId: token.sessionId,
      membershipVersion: token.membershipVersion,
      kid: token.kid,
      issuer: token.issuer,
      verifiedAt: new Date(),
    };
  } catch (error) {
    refused(String(error), "The access token is not valid.");
  }
}

/**
 * An access token is refused once its session was logged out or its user's
 * membership changed after it was minted: the tenant object keeps both facts
 * (durable-objects/capabilities/sessions.ts), so this costs one object call,
 * no Postgres. API keys were checked against Postgres already.
 */
export async function assertSessionCurrent(env: Env, auth: AuthContext): Promise<void> {
  if (auth.method !== "jwt") return;
  const verdict = await env.TENANT.getByName(auth.tenantId).sessionVerdict({
    userId: auth.userId as string,
    sid: auth.sessionId as string,
    membershipVersion: auth.membershipVersion as number,
  });
  refuseStaleSession(verdict);
}

/**
 * The session check and a token from the tenant's rate bucket in one
 * tenant-object call: a stale or revoked session is refused (401) before any
 * token is spent; the bucket's decision comes back for the caller to enforce.
 */
export async function admitCaller(
  env: Env,
  auth: AuthContext,
  rate: { key: string; policy: BucketPolicy },
): Promise<RateDecision> {
  const admission = await env.TENANT.getByName(auth.tenantId).admit({
    ...(auth.method === "jwt"
      ? {
          session: {
            userId: auth.userId as string,
            sid: auth.sessionId as string,
            membershipVersion: auth.membershipVersion as number,
          },
        }
      : {}),
    rate,
  });
  refuseStaleSession(admission.session);
  if (!admission.rate) throw new Error("the tenant object decided no rate token");
  return admission.rate;
}

function refuseStaleSession(verdict: SessionVerdict | undefined): void {
  if (verdict === "revoked-session") refused(verdict, "This session has ended; log in again.");
  if (verdict === "stale-membership") refused(verdict, "Your membership changed; refresh your access token.");
}

/**
 * For WRITE-HIGH actions: the caller's role as Postgres has it now, not as
 * the token remembers it. A token whose user is no longer a member is
 * refused, and a demoted user acts with the lower role. The tenant object's
 * version check already catches this; this read is the source of truth for
 * the actions that hand out power (keys, members, secrets, spend).
 */
export async function confirmRole(auth: AuthContext, db: () => Database): Promise<AuthContext> {
  if (auth.method !== "jwt" || !auth.userId) return auth;
  const userId = auth.userId;
  const role = await withTenant(db(), auth.tenantId, (tx) => membershipRole(tx, userId));
  if (!role) refused("membership ended", "You are no longer a member of this tenant.");
  return { ...auth, role };
}

/** The credential and its session, for callers outside the route guard (the web app). */
export async function authenticate(request: Request, env: Env, db: () => Database): Promise<AuthContext> {
  const auth = await verifyCredential(request, env, db);
  await assertSessionCurrent(env, auth);
  return auth;
}
