import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../schema/db";
import { projects } from "../../schema/tables";
import { type Transaction, withSystem } from "../../schema/tenant-transaction";

type ProjectRow = typeof projects.$inferSelect;

/**
 * A webhook names its project in the URL and has no tenant yet; this is the
 * one cross-tenant read it needs (apex_system may read projects, nothing else
 * a webhook touches).
 */
export async function projectForWebhook(
  db: Database,
  projectId: string,
): Promise<Pick<ProjectRow, "id" | "tenantId" | "name"> | undefined> {
  const [row] = await withSystem(db, (tx) =>
    tx
      .select({ id: projects.id, tenantId: projects.tenantId, name: projects.name })
      .from(projects)
      .where(and(eq(projects.id, projectId), isNull(projects.deletedAt))),
  );
  return row;
}

export async function findProject(tx: Transaction, projectId: string): Promise<ProjectRow | undefined> {
  const [row] = await tx
    .select()
    .from(projects)
    .where(and(eq(projects.id, projectId), isNull(projects.deletedAt)));
  return row;
}

export async function listProjects(tx: Transaction): Promise<ProjectRow[]> {
  return tx.select().from(projects).where(isNull(projects.deletedAt)).orderBy(projects.createdAt);
}
