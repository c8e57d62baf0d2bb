import { and, eq, isNull, notInArray, sql } from "drizzle-orm";
import type { Database } from "../../schema/db";
import { apiKeys, memberships, refreshTokens, tenants, users } from "../../schema/tables";
import { type Transaction, withSystem, withTenant } from "../../schema/tenant-transaction";
import type { Role } from "../context";
import { insertProject } from "./projects";

interface UserRow {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
}

/** Signup: tenant, first project, owner user and membership, in one transaction. */
export async function createTenantWithOwner(
  db: Database,
  input: {
    tenantName: string;
    projectName: string;
    email: string;
    name: string;
    passwordHash: string;
    monthlyCapMicros: number | null;
  },
): Promise<{ tenantId: string; projectId: string; userId: string } | "email-taken"> {
  return withSystem(db, async (tx) => {
    const existing = await tx
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.email}) = lower(${input.email})`);
    if (existing.length > 0) return "email-taken";
    // Two sign-ups with one email at once both pass the check above; the unique
    // index decides, and the loser is told the email is taken (not a 500).
    const [user] = await tx
      .insert(users)
      .values({ email: input.email, name: input.name, passwordHash: input.passwordHash })
      .onConflictDoNothing()
      .returning({ id: users.id });
    if (!user) return "email-taken";
    const [tenant] = await tx.insert(tenants).values({ name: input.tenantName }).returning({ id: tenants.id });
    if (!tenant) throw new Error("signup insert returned nothing");
    // One way to make a project's row, at signup and later (repositories/projects.ts).
    const project = await insertProject(tx, {
      tenantId: tenant.id,
      name: input.projectName,
      monthlyCapMicros: input.monthlyCapMicros,
    });
    await tx.insert(memberships).values({ tenantId: tenant.id, userId: user.id, role: "owner" });
    return { tenantId: tenant.id, projectId: project.id, userId: user.id };
  });
}

export async function findUserWithMemberships(
  db: Database,
  email: string,
): Promise<{ user: UserRow; memberships: { tenantId: string; role: Role }[] } | undefined> {
  return withSystem(db, async (tx) => {
    const [user] = await tx
      .select({ id: users.id, email: users.email, name: users.name, passwordHash: users.passwordHash })
      .from(users)
      .where(and(sql`lower(${users.email}) = lower(${email})`, isNull(users.deletedAt)));
    if (!user) return undefined;
    const rows = await tx
      .select({ tenantId: memberships.tenantId, role: memberships.role })
      .from(memberships)
      .where(eq(memberships.userId, user.id))
      .orderBy(memberships.createdAt);
    return { user, memberships: rows };
  });
}

export async function membershipRole(tx: Transaction, userId: string): Promise<Role | undefined> {
  const [row] = await tx.select({ role: memberships.role }).from(memberships).where(eq(memberships.userId, userId));
  return row?.role;
}

// ── refresh tokens ───────────────────────────────────────────────────────────

export async function insertRefreshToken(
  tx: Transaction,
  row: { tenantId: string; userId: string; familyId: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await tx.insert(refreshTokens).values(row);
}

export async function findRefreshToken(tx: Transaction, tokenHash: string) {
  const [row] = await tx.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash));
  return row;
}

/** Marks a token rotated only if nobody rotated it first (two racing refreshes: one wins). */
export async function markRotated(tx: Transaction, id: string, at: Date): Promise<boolean> {
  const rows = await tx
    .update(refreshTokens)
    .set({ rotatedAt: at })
    .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.rotatedAt), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  return rows.length === 1;
}

export async function revokeFamily(tx: Transaction, familyId: string, at: Date): Promise<void> {
  await tx
    .update(refreshTokens)
    .set({ revokedAt: at })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

// ── API keys ─────────────────────────────────────────────────────────────────

/** An unrevoked key with its creator's membership role now (null once the creator left the tenant). */
export async function findActiveApiKey(db: Database, tenantId: string, keyHash: string) {
  return withTenant(db, tenantId, async (tx) => {
    const [row] = await tx
      .select({
        id: apiKeys.id,
        role: apiKeys.role,
        expiresAt: apiKeys.expiresAt,
        createdBy: apiKeys.createdBy,
        creatorRole: memberships.role,
      })
      .from(apiKeys)
      .leftJoin(memberships, and(eq(memberships.tenantId, apiKeys.tenantId), eq(memberships.userId, apiKeys.createdBy)))
      .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)));
    return row;
  });
}

export async function findApiKey(tx: Transaction, id: string) {
  const [row] = await tx
    .select({ id: apiKeys.id, role: apiKeys.role, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(eq(apiKeys.id, id));
  return row;
}

/** Revokes the keys `userId` created whose role is not in `keep` (all of them when `keep` is empty). */
export async function revokeKeysCreatedBy(tx: Transaction, userId: string, at: Date, keep: readonly Role[] = []) {
  return tx
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(
      and(
        eq(apiKeys.createdBy, userId),
        isNull(apiKeys.revokedAt),
        keep.length > 0 ? notInArray(apiKeys.role, [...keep]) : undefined,
      ),
    )
    .returning({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, role: apiKeys.role });
}

export async function insertApiKey(
  tx: Transaction,
  row: {
    tenantId: string;
    name: string;
    prefix: string;
    keyHash: string;
    role: Role;
    createdBy: string | null;
    expiresAt: Date | null;
  },
) {
  const [created] = await tx.insert(apiKeys).values(row).returning();
  if (!created) throw new Error("api key insert returned nothing");
  return created;
}

export async function listApiKeys(tx: Transaction) {
  return tx
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      role: apiKeys.role,
      createdAt: apiKeys.createdAt,
      expiresAt: apiKeys.expiresAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .orderBy(apiKeys.createdAt);
}

export async function revokeApiKey(tx: Transaction, id: string, at: Date) {
  const [row] = await tx
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, role: apiKeys.role });
  return row;
}
