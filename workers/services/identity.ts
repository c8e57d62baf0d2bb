import { z } from "zod";
import { type Transaction, withTenant } from "../../schema/tenant-transaction";
import { ACCESS_TOKEN_SECONDS, parseSigningKeys, signAccessToken } from "../auth/access-tokens";
import { randomToken, sha256Hex } from "../auth/encoding";
import { loginInput, parseInput, refreshTokenInput, signupInput } from "../auth/inputs";
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
import type { AnonymousContext } from "../service-context";
import { newProjectDefaults } from "./projects";

const REFRESH_TOKEN_MS = 30 * 86_400_000;
/** `rt_<tenant uuid>_<secret>`: the tenant part lets the lookup run under that tenant's RLS. */
const REFRESH_TOKEN = /^rt_([0-9a-f-]{36})_[A-Za-z0-9_-]{32,}$/;

/** The tenant a refresh token names, if it is shaped like one; anything else is simply not a token of ours. */
function tenantOfRefreshToken(raw: unknown): string | undefined {
  const tenantId = REFRESH_TOKEN.exec(parseInput(refreshTokenInput, raw, "refreshToken"))?.[1];
  return tenantId && z.uuid().safeParse(tenantId).success ? tenantId : undefined;
}

export interface TokenPair {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  refreshToken: string;
  tenantId: string;
  userId: string;
  role: Role;
}

/** What identity operations need from the request that asks for them: no actor yet, they make one. */
export type IdentityRequest = Pick<AnonymousContext, "env" | "db" | "requestId" | "ip">;

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

/**
 * The user's membership as of now, for a token about to be minted: the
 * version is read from the tenant object *before* the role is read from
 * Postgres. The members service commits a change and then bumps the version,
 * so a token can never pair the old role with the new version (decision 012).
 * Undefined when the user is not a member.
 */
export async function currentMembership(
  tx: Transaction,
  env: Env,
  tenantId: string,
  userId: string,
): Promise<{ claims: Claims; membershipVersion: number } | undefined> {
  const membershipVersion = await env.TENANT.getByName(tenantId).membershipVersion(userId);
  const role = await membershipRole(tx, userId);
  return role ? { claims: { tenantId, userId, role }, membershipVersion } : undefined;
}

/**
 * Writes a new refresh token in `familyId` inside the caller's transaction and
 * signs an access token. The family is the session: its id is the token's
 * `sid`, so logging out (revoking the family) also ends its access tokens.
 */
export async function issueTokens(
  tx: Transaction,
  env: Env,
  membership: { claims: Claims; membershipVersion: number },
  familyId: string,
): Promise<TokenPair> {
  const { claims, membershipVersion } = membership;
  const refreshToken = `rt_${claims.tenantId}_${randomToken()}`;
  await insertRefreshToken(tx, {
    tenantId: claims.tenantId,
    userId: claims.userId,
    familyId,
    tokenHash: await sha256Hex(refreshToken),
    expiresAt: new Date(Date.now() + REFRESH_TOKEN_MS),
  });
  const accessToken = await signAccessToken(parseSigningKeys(env.JWT_SIGNING_KEYS), {
    ...claims,
    sessionId: familyId,
    membershipVersion,
  });
  return { accessToken, tokenType: "Bearer", expiresIn: ACCESS_TOKEN_SECONDS, refreshToken, ...claims };
}

/** Ends a session: its refresh family in Postgres (by the caller) and its access tokens in the tenant object. */
async function endSession(env: Env, tenantId: string, familyId: string): Promise<void> {
  await env.TENANT.getByName(tenantId).revokeSession(familyId, Date.now() + ACCESS_TOKEN_SECONDS * 1000);
}

export async function signup(
  raw: z.input<typeof signupInput>,
  request: IdentityRequest,
): Promise<TokenPair & { projectId: string }> {
  const input = parseInput(signupInput, raw);
  const created = await createTenantWithOwner(request.db, {
    tenantName: input.tenantName,
    projectName: input.projectName,
    email: input.email,
    name: input.name,
    passwordHash: await hashPassword(input.password),
    // The same defaults as every later project (services/projects.ts).
    ...newProjectDefaults(request.env),
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
  return withTenant(request.db, created.tenantId, async (tx) => {
    const membership = await currentMembership(tx, request.env, created.tenantId, created.userId);
    if (!membership) throw new Error("signup created no membership");
    const { claims } = membership;
    const tokens = await issueTokens(tx, request.env, membership, crypto.randomUUID());
    await recordAudit(tx, actorFor(claims, request), {
      action: "auth.signup",
      after: { tenantId: created.tenantId, projectId: created.projectId, userId: created.userId, email: input.email },
    });
    return { ...tokens, projectId: created.projectId };
  });
}

export async function login(raw: z.input<typeof loginInput>, request: IdentityRequest): Promise<TokenPair> {
  const input = parseInput(loginInput, raw);
  const found = await findUserWithMemberships(request.db, input.email);
  // Hash even for unknown emails so response time does not reveal which emails exist.
  const passwordOk = await verifyPassword(input.password, found?.user.passwordHash ?? DUMMY_PASSWORD_HASH);
  const chosen = found?.memberships.find((m) => !input.tenantId || m.tenantId === input.tenantId);
  if (!found || !passwordOk || !chosen) throw problems.unauthorized("Email or password is wrong.");
  const userId = found.user.id;
  return withTenant(request.db, chosen.tenantId, async (tx) => {
    const membership = await currentMembership(tx, request.env, chosen.tenantId, userId);
    if (!membership) throw problems.unauthorized("Email or password is wrong.");
    const tokens = await issueTokens(tx, request.env, membership, crypto.randomUUID());
    await recordAudit(tx, actorFor(membership.claims, request), { action: "auth.login" });
    return tokens;
  });
}

type RefreshOutcome = { ok: true; tokens: TokenPair } | { ok: false; reason: string; familyId?: string };

/**
 * Rotates a refresh token. A token that was already rotated is being reused —
 * it leaked, or a client raced itself — so its whole family is revoked, and
 * that revocation commits before the 401 is answered.
 */
export async function refresh(refreshToken: string, request: IdentityRequest): Promise<TokenPair> {
  const tenantId = tenantOfRefreshToken(refreshToken);
  if (!tenantId) throw problems.unauthorized("The refresh token is not valid.");
  const outcome = await withTenant(request.db, tenantId, async (tx): Promise<RefreshOutcome> => {
    const row = await findRefreshToken(tx, await sha256Hex(refreshToken));
    if (!row || row.revokedAt || row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: "invalid" };
    const now = new Date();
    const membership = await currentMembership(tx, request.env, tenantId, row.userId);
    const claims: Claims = membership?.claims ?? { tenantId, userId: row.userId, role: "viewer" };
    if (row.rotatedAt || !(await markRotated(tx, row.id, now))) {
      await revokeFamily(tx, row.familyId, now);
      await recordAudit(tx, actorFor(claims, request), {
        action: "auth.refresh_reuse_detected",
        after: { familyId: row.familyId },
      });
      return { ok: false, reason: "reused", familyId: row.familyId };
    }
    if (!membership) return { ok: false, reason: "no membership" };
    const tokens = await issueTokens(tx, request.env, membership, row.familyId);
    await recordAudit(tx, actorFor(claims, request), { action: "auth.refresh" });
    return { ok: true, tokens };
  });
  if (!outcome.ok) {
    // A leaked family's access tokens end with it, once the revocation has committed.
    if (outcome.familyId) await endSession(request.env, tenantId, outcome.familyId);
    throw problems.unauthorized("The refresh token is not valid.");
  }
  return outcome.tokens;
}

/**
 * Ends the session: revokes the token's refresh family and, in the tenant
 * object, every access token minted in it. Answers the same whether or not
 * the token existed.
 */
export async function logout(refreshToken: string, request: IdentityRequest): Promise<void> {
  const tenantId = tenantOfRefreshToken(refreshToken);
  if (!tenantId) return;
  const familyId = await withTenant(request.db, tenantId, async (tx) => {
    const row = await findRefreshToken(tx, await sha256Hex(refreshToken));
    if (!row || row.revokedAt) return undefined;
    await revokeFamily(tx, row.familyId, new Date());
    const role = (await membershipRole(tx, row.userId)) ?? "viewer";
    await recordAudit(tx, actorFor({ tenantId, userId: row.userId, role }, request), { action: "auth.logout" });
    return row.familyId;
  });
  if (familyId) await endSession(request.env, tenantId, familyId);
}
