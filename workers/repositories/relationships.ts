import { and, eq, isNotNull, isNull, or } from "drizzle-orm";
import { relationships } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

export type RelationshipRow = typeof relationships.$inferSelect;

/** Inserts the edge, or revives it if it was removed before; `undefined` when it already exists. */
export async function insertRelationship(
  tx: Transaction,
  row: { tenantId: string; fromId: string; toId: string; type: string; data: unknown },
): Promise<RelationshipRow | undefined> {
  const [created] = await tx
    .insert(relationships)
    .values(row)
    .onConflictDoUpdate({
      target: [relationships.tenantId, relationships.fromId, relationships.toId, relationships.type],
      set: { deletedAt: null, data: row.data },
      // Revive a removed edge; a live one stays as it is and nothing is returned.
      setWhere: isNotNull(relationships.deletedAt),
    })
    .returning();
  return created;
}

export async function relationshipsOf(tx: Transaction, entityId: string, direction: "out" | "in" | "both") {
  const out = eq(relationships.fromId, entityId);
  const incoming = eq(relationships.toId, entityId);
  const where = direction === "out" ? out : direction === "in" ? incoming : or(out, incoming);
  return tx
    .select()
    .from(relationships)
    .where(and(where, isNull(relationships.deletedAt)))
    .orderBy(relationships.createdAt);
}

export async function removeRelationship(tx: Transaction, entityId: string, relationshipId: string) {
  const [row] = await tx
    .update(relationships)
    .set({ deletedAt: new Date() })
    .where(
      and(
        eq(relationships.id, relationshipId),
        or(eq(relationships.fromId, entityId), eq(relationships.toId, entityId)),
        isNull(relationships.deletedAt),
      ),
    )
    .returning();
  return row;
}
