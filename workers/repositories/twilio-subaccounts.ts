import { eq } from "drizzle-orm";
import { twilioSubaccounts } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

export type TwilioSubaccountRow = typeof twilioSubaccounts.$inferSelect;

/** The tenant's subaccount (RLS: the transaction's tenant only). */
export async function findSubaccount(tx: Transaction): Promise<TwilioSubaccountRow | undefined> {
  const [row] = await tx.select().from(twilioSubaccounts);
  return row;
}

/** Records the subaccount once; a second writer's row is kept and returned. */
export async function insertSubaccount(
  tx: Transaction,
  row: { tenantId: string; accountSid: string; sealedAuthToken: string },
): Promise<TwilioSubaccountRow> {
  await tx.insert(twilioSubaccounts).values(row).onConflictDoNothing({ target: twilioSubaccounts.tenantId });
  const [saved] = await tx.select().from(twilioSubaccounts).where(eq(twilioSubaccounts.tenantId, row.tenantId));
  if (!saved) throw new Error("subaccount row vanished");
  return saved;
}
