import type { Database } from "../../schema/db";
import { type Transaction, withTenant } from "../../schema/tenant-transaction";
import { ACCESS_TOKEN_SECONDS, parseSigningKeys, signAccessToken } from "../auth/access-tokens";
import { randomToken, sha256Hex } from "../auth/encoding";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "../auth/passwords";
import type { RequestActor, Role } from "../context";
import { Problem, problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import {
  createTenantWithOwner,
  findRefreshToken,
  findUserWithMemberships,
  insertRefreshToken,
  markRotated,
  membershipRole,
  revokeFamily,
} from "../repositories/identity";

const REFRESH_TOKEN_MS = 30 * 86_400_000;
/** `rt_<tenant uuid>_<secret>`: the tenant part lets the lookup run under that tenant's RLS. */
const REFRESH_TOKEN = /^rt_([0-9a-f-]{36})_[A-Za-z0-9_-]{32,}$/;

export interface TokenPair {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  refreshToken: string;
  tenantId: string;
  userId: string;
  role: Role;
}

/** What identity operations need from the request that asks for them. */
export interface IdentityRequest {
  env: Env;
  db: Database;
  requestId: string;
  ip: string | null;
}

interface Claims {
  tenantId: string;
  userId: string;
  role: Role;
}

function actorFor(claims: Claims, request: IdentityRequest): RequestActor {
  return {
    auth: { method: "jwt", ...claims, issuer: "apex", verifiedAt: new Date() },
    requestId: request.requestId,
    ip: request.ip,
  };
}

/** Writes a new refresh token in `familyId` inside the caller's transaction and signs an access token. */
export async function issueTokens(tx: Transaction, env: Env, claims: Claims, familyId: string): Promise<TokenPair> {
  const refreshToken = `rt_${claims.tenantId}_${randomToken()}`;
  await insertRefreshToken(tx, {
    tenantId: claims.tenantId,
    userId: claims.userId,
    familyId,
    tokenHash: await sha256Hex(refreshToken),
    expiresAt: new Date(Date.now() + REFRESH_TOKEN_MS),
  });
  const accessToken = await signAccessToken(parseSigningKeys(env.JWT_SIGNING_KEYS), claims);
  return { accessToken, tokenType: "Bearer", expiresIn: ACCESS_TOKEN_SECONDS, refreshToken, ...claims };
}

export async function signup(
  input: { email: string; password: string; name: string; tenantName: string; projectName: string },
  request: IdentityRequest,
): Promise<TokenPair & { projectId: string }> {
  const created = await createTenantWithOwner(request.db, {
    tenantName: input.tenantName,
    projectName: input.projectName,
    email: input.email,
    name: input.name,
    passwordHash: await hashPassword(input.password),
  });
  if (created === "email-taken") {
    throw new Problem({
      status: 409,
      code: "email-taken",
      title: "Email already registered",
      detail: "An account with this email exists; log in instead.",
      errors: [{ field: "email", message: "already registered" }],
    });
  }
  const claims: Claims = { tenantId: created.tenantId, userId: created.userId, role: "owner" };
  return withTenant(request.db, created.tenantId, async (tx) => {
    const tokens = await issueTokens(tx, request.env, claims, crypto.randomUUID());
    await recordAudit(tx, actorFor(claims, request), {
      action: "auth.signup",
      after: { tenantId: created.tenantId, projectId: created.projectId, userId: created.userId, email: input.email },
    });
    return { ...tokens, projectId: created.projectId };
  });
}

export async function login(
  input: { email: string; password: string; tenantId?: string | undefined },
  request: IdentityRequest,
): Promise<TokenPair> {
  const found = await findUserWithMemberships(request.db, input.email);
  // Hash even for unknown emails so response time does not reveal which emails exist.
  const passwordOk = await verifyPassword(input.password, found?.user.passwordHash ?? DUMMY_PASSWORD_HASH);
  const membership = found?.memberships.find((m) => !input.tenantId || m.tenantId === input.tenantId);
  if (!found || !passwordOk || !membership) throw problems.unauthorized("Email or password is wrong.");
  const claims: Claims = { tenantId: membership.tenantId, userId: found.user.id, role: membership.role };
  return withTenant(request.db, claims.tenantId, async (tx) => {
    const tokens = await issueTokens(tx, request.env, claims, crypto.randomUUID());
    await recordAudit(tx, actorFor(claims, request), { action: "auth.login" });
    return tokens;
  });
}

type RefreshOutcome = { ok: true; tokens: TokenPair } | { ok: false; reason: string };

/**
 * Rotates a refresh token. A token that was already rotated is being reused —
 * it leaked, or a client raced itself — so its whole family is revoked, and
 * that revocation commits before the 401 is answered.
 */
export async function refresh(refreshToken: string, request: IdentityRequest): Promise<TokenPair> {
  const tenantId = REFRESH_TOKEN.exec(refreshToken)?.[1];
  if (!tenantId) throw problems.unauthorized("The refresh token is not valid.");
  const outcome = await withTenant(request.db, tenantId, async (tx): Promise<RefreshOutcome> => {
    const row = await findRefreshToken(tx, await sha256Hex(refreshToken));
    if (!row || row.revokedAt || row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: "invalid" };
    const now = new Date();
    const role = await membershipRole(tx, row.userId);
    const claims: Claims = { tenantId, userId: row.userId, role: role ?? "viewer" };
    if (row.rotatedAt || !(await markRotated(tx, row.id, now))) {
      await revokeFamily(tx, row.familyId, now);
      await recordAudit(tx, actorFor(claims, request), {
        action: "auth.refresh_reuse_detected",
        after: { familyId: row.familyId },
      });
      return { ok: false, reason: "reused" };
    }
    if (!role) return { ok: false, reason: "no membership" };
    const tokens = await issueTokens(tx, request.env, claims, row.familyId);
    await recordAudit(tx, actorFor(claims, request), { action: "auth.refresh" });
    return { ok: true, tokens };
  });
  if (!outcome.ok) throw problems.unauthorized("The refresh token is not valid.");
  return outcome.tokens;
}

/** Revokes the token's family. Answers the same whether or not the token existed. */
export async function logout(refreshToken: string, request: IdentityRequest): Promise<void> {
  const tenantId = REFRESH_TOKEN.exec(refreshToken)?.[1];
  if (!tenantId) return;
  await withTenant(request.db, tenantId, async (tx) => {
    const row = await findRefreshToken(tx, await sha256Hex(refreshToken));
    if (!row || row.revokedAt) return;
    await revokeFamily(tx, row.familyId, new Date());
    const role = (await membershipRole(tx, row.userId)) ?? "viewer";
    await recordAudit(tx, actorFor({ tenantId, userId: row.userId, role }, request), { action: "auth.logout" });
  });
}
