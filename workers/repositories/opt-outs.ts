import { eq, sql } from "drizzle-orm";
import { optOuts } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

export async function isOptedOut(tx: Transaction, phone: string): Promise<boolean> {
  const [row] = await tx.select({ optedOut: optOuts.optedOut }).from(optOuts).where(eq(optOuts.phone, phone));
  return row?.optedOut ?? false;
}

export async function setOptOut(tx: Transaction, tenantId: string, phone: string, optedOut: boolean, source: string) {
  await tx
    .insert(optOuts)
    .values({ tenantId, phone, optedOut, source })
    .onConflictDoUpdate({
      target: [optOuts.tenantId, optOuts.phone],
      set: { optedOut, source, updatedAt: sql`now()` },
    });
}
