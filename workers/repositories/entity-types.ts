import { eq } from "drizzle-orm";
import { entityTypes } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

export type EntityTypeRow = typeof entityTypes.$inferSelect;

export async function findEntityType(tx: Transaction, name: string): Promise<EntityTypeRow | undefined> {
  const [row] = await tx.select().from(entityTypes).where(eq(entityTypes.name, name));
  return row;
}

export async function listEntityTypes(tx: Transaction): Promise<EntityTypeRow[]> {
  return tx.select().from(entityTypes).orderBy(entityTypes.name);
}

/** `undefined` when the tenant already has a type of that name. */
export async function insertEntityType(
  tx: Transaction,
  row: { tenantId: string; name: string; description: string; jsonSchema: unknown },
): Promise<EntityTypeRow | undefined> {
  const [created] = await tx.insert(entityTypes).values(row).onConflictDoNothing().returning();
  return created;
}
