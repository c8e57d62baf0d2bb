import { and, eq } from "drizzle-orm";
import { trackingNumbers } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

export type PhoneNumberRow = typeof trackingNumbers.$inferSelect;

/** A project's numbers, oldest first. */
export async function numbersOfProject(tx: Transaction, projectId: string): Promise<PhoneNumberRow[]> {
  return tx
    .select()
    .from(trackingNumbers)
    .where(eq(trackingNumbers.projectId, projectId))
    .orderBy(trackingNumbers.claimedAt);
}

export async function findNumber(tx: Transaction, projectId: string, number: string) {
  const [row] = await tx
    .select()
    .from(trackingNumbers)
    .where(and(eq(trackingNumbers.projectId, projectId), eq(trackingNumbers.number, number)));
  return row;
}

/**
 * Claims a number bought or attached in the tenant's subaccount. A typed claim
 * the same project held becomes this one; any other holder (RLS hides another
 * tenant's) keeps it, and nothing is written: false. Two statements, not
 * INSERT … ON CONFLICT DO UPDATE: that raises an RLS error when the
 * conflicting row is another tenant's, where this must answer false.
 */
export async function claimSubaccountNumber(
  tx: Transaction,
  row: {
    number: string;
    tenantId: string;
    projectId: string;
    origin: "purchased" | "attached";
    phoneNumberSid: string;
  },
): Promise<boolean> {
  const inserted = await tx
    .insert(trackingNumbers)
    .values(row)
    .onConflictDoNothing({ target: trackingNumbers.number })
    .returning({ number: trackingNumbers.number });
  if (inserted.length === 1) return true;
  const adopted = await tx
    .update(trackingNumbers)
    .set({ origin: row.origin, phoneNumberSid: row.phoneNumberSid })
    .where(
      and(
        eq(trackingNumbers.number, row.number),
        eq(trackingNumbers.projectId, row.projectId),
        eq(trackingNumbers.origin, "typed"),
      ),
    )
    .returning({ number: trackingNumbers.number });
  return adopted.length === 1;
}

export async function deleteNumber(tx: Transaction, projectId: string, number: string): Promise<void> {
  await tx
    .delete(trackingNumbers)
    .where(and(eq(trackingNumbers.projectId, projectId), eq(trackingNumbers.number, number)));
}
