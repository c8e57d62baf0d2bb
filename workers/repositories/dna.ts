import { and, eq, sql } from "drizzle-orm";
import { dnaLayers } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

type DnaLayerRow = typeof dnaLayers.$inferSelect;

export async function dnaLayersOf(tx: Transaction, projectId: string): Promise<DnaLayerRow[]> {
  return tx.select().from(dnaLayers).where(eq(dnaLayers.projectId, projectId));
}

/**
 * Writes a layer if it is still at `expectedVersion` (0: not written yet).
 * Undefined when someone else wrote it first.
 */
export async function writeLayerIfVersion(
  tx: Transaction,
  row: { tenantId: string; projectId: string; layer: string; content: unknown },
  expectedVersion: number,
): Promise<DnaLayerRow | undefined> {
  if (expectedVersion === 0) {
    const [inserted] = await tx.insert(dnaLayers).values(row).onConflictDoNothing().returning();
    return inserted;
  }
  const [updated] = await tx
    .update(dnaLayers)
    .set({ content: row.content, version: sql`${dnaLayers.version} + 1`, updatedAt: sql`now()` })
    .where(
      and(
        eq(dnaLayers.projectId, row.projectId),
        eq(dnaLayers.layer, row.layer),
        eq(dnaLayers.version, expectedVersion),
      ),
    )
    .returning();
  return updated;
}
