import { z } from "zod";
import { type Transaction, withTenant } from "../../schema/tenant-transaction";
import { randomToken, sha256Hex } from "../auth/encoding";
import { acceptInvitationInput, invitationInput, parseId, parseInput, parseRole } from "../auth/inputs";
import { hashPassword, verifyPassword } from "../auth/passwords";
import { ROLE_RANK } from "../auth/roles";
import type { RequestActor, Role } from "../context";
import { Problem, problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import { revokeKeysCreatedBy } from "../repositories/identity";
import {
  countOwners,
  deleteMembership,
  findMembership,
  findOpenInvitation,
  findOrCreateUser,
  insertInvitation,
  insertMembership,
  listMembers,
  markInvitationAccepted,
  setMemberRole,
} from "../repositories/members";
import type { ServiceContext } from "../service-context";
import { earlierEffect, openedForReplay, recordEffect, sealedForReplay } from "./idempotent-effects";
import { currentMembership, type IdentityRequest, issueTokens, type TokenPair } from "./identity";

const INVITATION_DAYS = 7;
const INVITATION = /^inv_([0-9a-f-]{36})_[A-Za-z0-9_-]{32,}$/;

function forbidden(detail: string, field = "role"): Problem {
  return new Problem({
    status: 403,
    code: "forbidden",
    title: "Forbidden",
    detail,
    errors: [{ field, message: detail }],
  });
}

/** Nobody hands out more power than they hold. */
function assertCanGrant(actor: RequestActor, role: Role): void {
  if (ROLE_RANK[role] > ROLE_RANK[actor.auth.role])
    throw forbidden(`A ${actor.auth.role} cannot grant the ${role} role.`);
}

export async function members({ db, actor }: Pick<ServiceContext, "db" | "actor">) {
  const rows = await withTenant(db, actor.auth.tenantId, (tx) => listMembers(tx));
  return rows.map((r) => ({ ...r, since: r.since.toISOString() }));
}

/**
 * Runs a change to `userId`'s membership, then makes every access token
 * minted before it stale (decision 012). The version is bumped inside the
 * transaction, so an unreachable tenant object rolls the change back, and
 * again after the commit, so a token minted in between cannot carry the old
 * role (minting reads the version before the role).
 */
async function changingMembership<T>(
  userId: string,
  { env, db, actor }: Pick<ServiceContext, "env" | "db" | "actor">,
  change: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const tenant = env.TENANT.getByName(actor.auth.tenantId);
  const result = await withTenant(db, actor.auth.tenantId, async (tx) => {
    const changed = await change(tx);
    await tenant.bumpMembershipVersion(userId);
    return changed;
  });
  await tenant.bumpMembershipVersion(userId);
  return result;
}

/** Keys act for their creator (services/authentication.ts): revoked here so a later re-invitation cannot revive them. */
async function revokeCreatorKeys(tx: Transaction, actor: RequestActor, userId: string, keep: readonly Role[]) {
  for (const key of await revokeKeysCreatedBy(tx, userId, new Date(), keep)) {
    await recordAudit(tx, actor, {
      action: "api_key.revoke",
      entityType: "api_key",
      entityId: key.id,
      before: { ...key, reason: keep.length > 0 ? "creator demoted below the key's role" : "creator removed" },
    });
  }
}

const atOrBelow = (role: Role) => (Object.keys(ROLE_RANK) as Role[]).filter((r) => ROLE_RANK[r] <= ROLE_RANK[role]);

export async function changeMemberRole(
  userIdInput: unknown,
  roleInput: unknown,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  const userId = parseId(userIdInput, "userId");
  const role = parseRole(roleInput);
  const { actor } = context;
  assertCanGrant(actor, role);
  return changingMembership(userId, context, async (tx) => {
    const current = await findMembership(tx, userId);
    if (!current) throw problems.notFound(`No member ${userId}.`);
    if (ROLE_RANK[current.role] > ROLE_RANK[actor.auth.role])
      throw forbidden(`A ${actor.auth.role} cannot change an ${current.role}.`);
    if (current.role === "owner" && role !== "owner" && (await countOwners(tx)) <= 1) {
      throw problems.conflict("last-owner", "A tenant keeps at least one owner: make someone else owner first.");
    }
    const updated = await setMemberRole(tx, userId, role);
    await recordAudit(tx, actor, {
      action: "member.role_change",
      entityType: "member",
      before: { userId, role: current.role },
      after: { userId, role: updated?.role },
    });
    await revokeCreatorKeys(tx, actor, userId, atOrBelow(role));
    return { userId, role };
  });
}

export async function removeMember(
  userIdInput: unknown,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<void> {
  const userId = parseId(userIdInput, "userId");
  const { actor } = context;
  await changingMembership(userId, context, async (tx) => {
    const current = await findMembership(tx, userId);
    if (!current) throw problems.notFound(`No member ${userId}.`);
    if (ROLE_RANK[current.role] > ROLE_RANK[actor.auth.role])
      throw forbidden(`A ${actor.auth.role} cannot remove an ${current.role}.`);
    if (current.role === "owner" && (await countOwners(tx)) <= 1) {
      throw problems.conflict("last-owner", "The last owner cannot be removed.");
    }
    await deleteMembership(tx, userId);
    await recordAudit(tx, actor, {
      action: "member.remove",
      entityType: "member",
      before: { userId, role: current.role },
    });
    await revokeCreatorKeys(tx, actor, userId, []);
  });
}

interface InvitationSummary {
  id: string;
  email: string;
  role: Role;
  expiresAt: string;
}

/** The token is in this answer only; deliver it to the invitee (e.g. in a link). */
export async function invite(
  raw: z.input<typeof invitationInput>,
  { env, db, actor, idempotency }: Pick<ServiceContext, "env" | "db" | "actor" | "idempotency">,
) {
  const input = parseInput(invitationInput, raw);
  assertCanGrant(actor, input.role);
  const token = `inv_${actor.auth.tenantId}_${randomToken(32)}`;
  return withTenant(db, actor.auth.tenantId, async (tx) => {
    const earlier = await earlierEffect<InvitationSummary & { sealedToken: string | null }>(tx, idempotency);
    if (earlier) {
      const { sealedToken, ...summary } = earlier;
      return {
        ...summary,
        token: await openedForReplay(env, actor.auth.tenantId, sealedToken, `Invitation ${summary.id}`),
      };
    }
    const row = await insertInvitation(tx, {
      tenantId: actor.auth.tenantId,
      email: input.email,
      role: input.role,
      tokenHash: await sha256Hex(token),
      invitedBy: actor.auth.userId ?? null,
      expiresAt: new Date(Date.now() + INVITATION_DAYS * 86_400_000),
    });
    const summary: InvitationSummary = {
      id: row.id,
      email: row.email,
      role: row.role,
      expiresAt: row.expiresAt.toISOString(),
    };
    await recordAudit(tx, actor, {
      action: "invitation.create",
      entityType: "invitation",
      entityId: row.id,
      after: summary,
    });
    const sealedToken = await sealedForReplay(env, actor.auth.tenantId, idempotency, token);
    await recordEffect(tx, actor.auth.tenantId, idempotency, { ...summary, sealedToken });
    return { ...summary, token };
  });
}

/**
 * Accepting: a new email gets an account with the given password; an existing
 * account must prove it is its owner with its own password, so an invitation
 * link cannot be used to take over someone else's account.
 */
export async function acceptInvitation(
  raw: z.input<typeof acceptInvitationInput>,
  request: IdentityRequest,
): Promise<TokenPair> {
  const input = parseInput(acceptInvitationInput, raw);
  const tenantId = INVITATION.exec(input.token)?.[1];
  const invalid = () => problems.unauthorized("The invitation is not valid or has expired.");
  if (!tenantId || !z.uuid().safeParse(tenantId).success) throw invalid();
  const tokenHash = await sha256Hex(input.token);
  const invitation = await withTenant(request.db, tenantId, (tx) => findOpenInvitation(tx, tokenHash));
  if (!invitation) throw invalid();
  const user = await findOrCreateUser(request.db, {
    email: invitation.email,
    name: input.name,
    passwordHash: await hashPassword(input.password),
  });
  if (!user.created && !(await verifyPassword(input.password, user.passwordHash))) {
    throw problems.unauthorized("This email has an account: accept with that account's password.");
  }
  const claims = { tenantId, userId: user.id, role: invitation.role };
  return withTenant(request.db, tenantId, async (tx) => {
    if (!(await markInvitationAccepted(tx, invitation.id, user.id))) throw invalid();
    if (!(await insertMembership(tx, claims))) {
      throw problems.conflict("already-member", "This account is already a member of the tenant.");
    }
    const membership = await currentMembership(tx, request.env, tenantId, user.id);
    if (!membership) throw new Error("accepted invitation left no membership");
    const tokens = await issueTokens(tx, request.env, membership, crypto.randomUUID());
    await recordAudit(
      tx,
      {
        auth: { method: "jwt", ...claims, issuer: "apex", verifiedAt: new Date() },
        requestId: request.requestId,
        ip: request.ip,
      },
      {
        action: "invitation.accept",
        entityType: "invitation",
        entityId: invitation.id,
        after: { userId: user.id, role: invitation.role },
      },
    );
    return tokens;
  });
}
