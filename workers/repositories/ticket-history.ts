import { eq } from "drizzle-orm";
import { ticketHistory } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

type TicketHistoryRow = typeof ticketHistory.$inferSelect;

/** Idempotent: a redelivered "finished" writes the same row again. */
export async function upsertTicketHistory(tx: Transaction, row: TicketHistoryRow): Promise<void> {
  const { id: _id, tenantId: _tenant, ...changes } = row;
  await tx.insert(ticketHistory).values(row).onConflictDoUpdate({ target: ticketHistory.id, set: changes });
}

export async function findTicketHistory(tx: Transaction, id: string): Promise<TicketHistoryRow | undefined> {
  const [row] = await tx.select().from(ticketHistory).where(eq(ticketHistory.id, id));
  return row;
}
