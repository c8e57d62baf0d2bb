import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Database } from "../../schema/db";
import { invitations, memberships, users } from "../../schema/tables";
import { type Transaction, withSystem } from "../../schema/tenant-transaction";
import type { Role } from "../context";

export async function listMembers(tx: Transaction) {
  return tx
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      role: memberships.role,
      since: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .orderBy(memberships.createdAt);
}

export async function findMembership(tx: Transaction, userId: string) {
  const [row] = await tx.select().from(memberships).where(eq(memberships.userId, userId));
  return row;
}

export async function countOwners(tx: Transaction): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(memberships)
    .where(eq(memberships.role, "owner"));
  return row?.n ?? 0;
}

export async function setMemberRole(tx: Transaction, userId: string, role: Role) {
  const [row] = await tx
    .update(memberships)
    .set({ role, updatedAt: sql`now()` })
    .where(eq(memberships.userId, userId))
    .returning();
  return row;
}

export async function deleteMembership(tx: Transaction, userId: string) {
  const [row] = await tx.delete(memberships).where(eq(memberships.userId, userId)).returning();
  return row;
}

export async function insertMembership(tx: Transaction, row: { tenantId: string; userId: string; role: Role }) {
  const [created] = await tx.insert(memberships).values(row).onConflictDoNothing().returning();
  return created;
}

export async function insertInvitation(
  tx: Transaction,
  row: { tenantId: string; email: string; role: Role; tokenHash: string; invitedBy: string | null; expiresAt: Date },
) {
  const [created] = await tx.insert(invitations).values(row).returning();
  if (!created) throw new Error("invitation insert returned nothing");
  return created;
}

export async function findOpenInvitation(tx: Transaction, tokenHash: string) {
  const [row] = await tx
    .select()
    .from(invitations)
    .where(
      and(eq(invitations.tokenHash, tokenHash), isNull(invitations.acceptedAt), gt(invitations.expiresAt, new Date())),
    );
  return row;
}

export async function markInvitationAccepted(tx: Transaction, id: string, userId: string): Promise<boolean> {
  const rows = await tx
    .update(invitations)
    .set({ acceptedAt: new Date(), acceptedBy: userId })
    .where(and(eq(invitations.id, id), isNull(invitations.acceptedAt)))
    .returning({ id: invitations.id });
  return rows.length === 1;
}

/** Invitation acceptance: the invited email's user, created when it has no account yet. */
export async function findOrCreateUser(
  db: Database,
  input: { email: string; name: string; passwordHash: string },
): Promise<{ id: string; passwordHash: string; created: boolean }> {
  return withSystem(db, async (tx) => {
    const [existing] = await tx
      .select({ id: users.id, passwordHash: users.passwordHash })
      .from(users)
      .where(sql`lower(${users.email}) = lower(${input.email})`);
    if (existing) return { ...existing, created: false };
    const [created] = await tx
      .insert(users)
      .values(input)
      .returning({ id: users.id, passwordHash: users.passwordHash });
    if (!created) throw new Error("user insert returned nothing");
    return { ...created, created: true };
  });
}
