import { and, eq, inArray, ne } from "drizzle-orm";
import { trackingNumbers } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

/** Inserts the claim unless any tenant holds the number; true when this call made it. */
export async function insertClaim(
  tx: Transaction,
  claim: { number: string; tenantId: string; projectId: string },
): Promise<boolean> {
  const rows = await tx
    .insert(trackingNumbers)
    .values(claim)
    .onConflictDoNothing({ target: trackingNumbers.number })
    .returning({ number: trackingNumbers.number });
  return rows.length === 1;
}

/** The project holding `number` among this tenant's claims (RLS hides other tenants'). */
export async function claimHolder(tx: Transaction, number: string): Promise<string | undefined> {
  const [row] = await tx
    .select({ projectId: trackingNumbers.projectId })
    .from(trackingNumbers)
    .where(eq(trackingNumbers.number, number));
  return row?.projectId;
}

/**
 * Lets go of a project's other typed-in numbers (the one it names now is
 * kept). Numbers bought or attached through Apex stay until released: they
 * are the tenant's at Twilio, whatever the settings name.
 */
export async function releaseClaimsExcept(tx: Transaction, projectId: string, keep: string | undefined) {
  await tx
    .delete(trackingNumbers)
    .where(
      keep
        ? and(
            eq(trackingNumbers.projectId, projectId),
            eq(trackingNumbers.origin, "typed"),
            ne(trackingNumbers.number, keep),
          )
        : and(eq(trackingNumbers.projectId, projectId), eq(trackingNumbers.origin, "typed")),
    );
}

/** The numbers `projectId` holds that came through Apex (`origins`, e.g. bought or attached), oldest claim first. */
export async function numbersHeldBy(tx: Transaction, projectId: string, origins: readonly string[]): Promise<string[]> {
  const rows = await tx
    .select({ number: trackingNumbers.number })
    .from(trackingNumbers)
    .where(and(eq(trackingNumbers.projectId, projectId), inArray(trackingNumbers.origin, [...origins])))
    .orderBy(trackingNumbers.claimedAt);
  return rows.map((row) => row.number);
}
