import { and, eq, inArray, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../../schema/db";
import { campaignRecipients, entities, entitySnapshots, relationships, retentionPolicies } from "../../schema/tables";
import { type Transaction, withSystem } from "../../schema/tenant-transaction";

export type RetentionPolicyRow = typeof retentionPolicies.$inferSelect;

export async function upsertRetentionPolicy(
  tx: Transaction,
  row: { tenantId: string; entityType: string; purgeDeletedAfterDays: number | null; archiveAfterDays: number | null },
): Promise<RetentionPolicyRow> {
  const [saved] = await tx
    .insert(retentionPolicies)
    .values(row)
    .onConflictDoUpdate({
      target: [retentionPolicies.tenantId, retentionPolicies.entityType],
      set: {
        purgeDeletedAfterDays: row.purgeDeletedAfterDays,
        archiveAfterDays: row.archiveAfterDays,
        updatedAt: sql`now()`,
      },
    })
    .returning();
  if (!saved) throw new Error("retention policy upsert returned nothing");
  return saved;
}

export async function listRetentionPolicies(tx: Transaction): Promise<RetentionPolicyRow[]> {
  return tx.select().from(retentionPolicies).orderBy(retentionPolicies.entityType);
}

/** Cron: which tenants have any policy at all (the only cross-tenant read retention needs). */
export async function tenantsWithPolicies(db: Database): Promise<string[]> {
  const rows = await withSystem(db, (tx) =>
    tx.selectDistinct({ tenantId: retentionPolicies.tenantId }).from(retentionPolicies),
  );
  return rows.map((r) => r.tenantId);
}

/** Hard-deletes soft-deleted entities of `type` deleted before `cutoff`, with their history and edges. */
export async function purgeDeletedEntities(tx: Transaction, type: string, cutoff: Date): Promise<string[]> {
  const doomed = await tx
    .select({ id: entities.id })
    .from(entities)
    .where(and(eq(entities.type, type), isNotNull(entities.deletedAt), lt(entities.deletedAt, cutoff)));
  const ids = doomed.map((r) => r.id);
  if (ids.length === 0) return [];
  await tx.delete(entitySnapshots).where(inArray(entitySnapshots.entityId, ids));
  await tx.delete(relationships).where(or(inArray(relationships.fromId, ids), inArray(relationships.toId, ids)));
  await tx
    .delete(campaignRecipients)
    .where(or(inArray(campaignRecipients.campaignId, ids), inArray(campaignRecipients.leadId, ids)));
  await tx.delete(entities).where(inArray(entities.id, ids));
  return ids;
}

export async function archivableEntities(tx: Transaction, type: string, cutoff: Date, limit: number) {
  return tx
    .select()
    .from(entities)
    .where(
      and(
        eq(entities.type, type),
        lt(entities.createdAt, cutoff),
        isNull(entities.archivedAt),
        isNull(entities.deletedAt),
      ),
    )
    .limit(limit);
}

export async function snapshotsOf(tx: Transaction, entityId: string) {
  return tx.select().from(entitySnapshots).where(eq(entitySnapshots.entityId, entityId));
}

export async function deleteSnapshotsOf(tx: Transaction, entityId: string): Promise<void> {
  await tx.delete(entitySnapshots).where(eq(entitySnapshots.entityId, entityId));
}

export async function restoreSnapshotRows(
  tx: Transaction,
  rows: { tenantId: string; entityId: string; version: number; state: unknown; createdAt: Date }[],
): Promise<void> {
  if (rows.length > 0) await tx.insert(entitySnapshots).values(rows);
}

/** Marks archived and clears `data` only if nobody changed the entity since it was read. */
export async function markArchived(tx: Transaction, id: string, version: number): Promise<boolean> {
  const rows = await tx
    .update(entities)
    .set({ archivedAt: sql`now()`, data: {}, system: {} })
    .where(and(eq(entities.id, id), eq(entities.version, version), isNull(entities.archivedAt)))
    .returning({ id: entities.id });
  return rows.length === 1;
}

export async function markUnarchived(tx: Transaction, id: string, data: unknown, system: unknown) {
  const [row] = await tx
    .update(entities)
    .set({ archivedAt: null, data, system, updatedAt: sql`now()` })
    .where(and(eq(entities.id, id), isNotNull(entities.archivedAt)))
    .returning();
  return row;
}
