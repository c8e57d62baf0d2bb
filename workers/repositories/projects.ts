import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "../../schema/db";
import { projects } from "../../schema/tables";
import { type Transaction, withSystem } from "../../schema/tenant-transaction";

export type ProjectRow = typeof projects.$inferSelect;

/** The project as apex_system sees it (inside withSystemThenTenant): enough to know whose it is. */
export async function projectOwner(
  tx: Transaction,
  projectId: string,
): Promise<Pick<ProjectRow, "id" | "tenantId" | "name" | "archivedAt"> | undefined> {
  const [row] = await tx
    .select({ id: projects.id, tenantId: projects.tenantId, name: projects.name, archivedAt: projects.archivedAt })
    .from(projects)
    .where(and(eq(projects.id, projectId), isNull(projects.deletedAt)));
  return row;
}

/**
 * A webhook names its project in the URL and has no tenant yet; this is the
 * one cross-tenant read it needs (apex_system may read projects, nothing else
 * a webhook touches). An archived project is still found, with `archivedAt`:
 * Twilio's callbacks for a call already under way must still be verified, and
 * the lead intake refuses it by name rather than as an unknown project.
 */
export async function projectForWebhook(
  db: Database,
  projectId: string,
): Promise<Pick<ProjectRow, "id" | "tenantId" | "name" | "archivedAt"> | undefined> {
  return withSystem(db, (tx) => projectOwner(tx, projectId));
}

export async function findProject(tx: Transaction, projectId: string): Promise<ProjectRow | undefined> {
  const [row] = await tx
    .select()
    .from(projects)
    .where(and(eq(projects.id, projectId), isNull(projects.deletedAt)));
  return row;
}

/** The tenant's projects, oldest first; archived ones only when asked. */
export async function listProjects(
  tx: Transaction,
  { archived = false }: { archived?: boolean } = {},
): Promise<ProjectRow[]> {
  return tx
    .select()
    .from(projects)
    .where(and(isNull(projects.deletedAt), archived ? undefined : isNull(projects.archivedAt)))
    .orderBy(projects.createdAt, projects.id);
}

/**
 * Locks every project row of the tenant (RLS scopes the statement) for the
 * rest of the transaction. Creating, renaming and archiving take it first, so
 * two concurrent archives cannot each see the other project still active and
 * leave the tenant with none, and two creates cannot both pass the name check.
 */
export async function lockTenantProjects(tx: Transaction): Promise<ProjectRow[]> {
  return tx
    .select()
    .from(projects)
    .where(isNull(projects.deletedAt))
    .orderBy(projects.createdAt, projects.id)
    .for("update");
}

/** A new project row: signup's first project and every later one are made here, with the same defaults. */
export async function insertProject(
  tx: Transaction,
  row: { tenantId: string; name: string; monthlyCapMicros: number | null },
): Promise<ProjectRow> {
  const [created] = await tx.insert(projects).values(row).returning();
  if (!created) throw new Error("project insert returned nothing");
  return created;
}

/** Applies `change` and bumps the version, if the project is still at `expectedVersion` (any version when omitted). */
export async function updateProject(
  tx: Transaction,
  projectId: string,
  change: Partial<Pick<ProjectRow, "name" | "archivedAt">>,
  expectedVersion?: number,
): Promise<ProjectRow | undefined> {
  const [row] = await tx
    .update(projects)
    .set({ ...change, version: sql`${projects.version} + 1`, updatedAt: sql`now()` })
    .where(
      and(
        eq(projects.id, projectId),
        isNull(projects.deletedAt),
        expectedVersion === undefined ? undefined : eq(projects.version, expectedVersion),
      ),
    )
    .returning();
  return row;
}
