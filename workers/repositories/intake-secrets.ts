import { and, eq, sql } from "drizzle-orm";
import { intakeSecrets } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

export type IntakeSecretRow = typeof intakeSecrets.$inferSelect;

export async function intakeSecretsOf(tx: Transaction, projectId: string): Promise<IntakeSecretRow[]> {
  return tx.select().from(intakeSecrets).where(eq(intakeSecrets.projectId, projectId));
}

export async function findIntakeSecret(
  tx: Transaction,
  projectId: string,
  source: string,
): Promise<IntakeSecretRow | undefined> {
  const [row] = await tx
    .select()
    .from(intakeSecrets)
    .where(and(eq(intakeSecrets.projectId, projectId), eq(intakeSecrets.source, source)));
  return row;
}

/** Sets the source's secret: the first time it is created, every later time it is rotated (the old one stops working). */
export async function putIntakeSecret(
  tx: Transaction,
  row: { tenantId: string; projectId: string; source: string; sealedValue: string; hint: string },
): Promise<IntakeSecretRow> {
  const [saved] = await tx
    .insert(intakeSecrets)
    .values(row)
    .onConflictDoUpdate({
      target: [intakeSecrets.projectId, intakeSecrets.source],
      set: { sealedValue: row.sealedValue, hint: row.hint, rotatedAt: sql`now()` },
    })
    .returning();
  if (!saved) throw new Error("intake secret upsert returned nothing");
  return saved;
}

/** Removes the source's secret; undefined when it had none. */
export async function deleteIntakeSecret(
  tx: Transaction,
  projectId: string,
  source: string,
): Promise<IntakeSecretRow | undefined> {
  const [deleted] = await tx
    .delete(intakeSecrets)
    .where(and(eq(intakeSecrets.projectId, projectId), eq(intakeSecrets.source, source)))
    .returning();
  return deleted;
}
