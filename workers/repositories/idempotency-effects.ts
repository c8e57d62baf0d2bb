import { and, eq, gt, lt, sql } from "drizzle-orm";
import { idempotencyEffects } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

/** As long as the tenant object's ledger keeps a key (DEFAULT_RETENTION_MS). */
const RETENTION = sql`interval '24 hours'`;

interface RecordedEffect {
  fingerprint: string;
  result: unknown;
}

/** The effect committed under `key` within the retention window; row-level security scopes it to the tenant. */
export async function findEffect(tx: Transaction, key: string): Promise<RecordedEffect | undefined> {
  const [row] = await tx
    .select({ fingerprint: idempotencyEffects.fingerprint, result: idempotencyEffects.result })
    .from(idempotencyEffects)
    .where(and(eq(idempotencyEffects.key, key), gt(idempotencyEffects.createdAt, sql`now() - ${RETENTION}`)));
  return row;
}

/**
 * Records the effect in the caller's transaction; `false` when the key is
 * already taken (a concurrent attempt committed first). Expired rows of the
 * tenant are pruned on the way, so the table holds about a day of keys.
 */
export async function insertEffect(
  tx: Transaction,
  row: { tenantId: string; key: string; fingerprint: string; result: unknown },
): Promise<boolean> {
  await tx.delete(idempotencyEffects).where(lt(idempotencyEffects.createdAt, sql`now() - ${RETENTION}`));
  const inserted = await tx
    .insert(idempotencyEffects)
    .values(row)
    .onConflictDoNothing()
    .returning({ key: idempotencyEffects.key });
  return inserted.length === 1;
}
