import { eq, sql } from "drizzle-orm";
import { contactHistory } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

/** When the number was last texted, by any flow and by marketing; undefined if never. */
export async function lastTexts(tx: Transaction, phone: string) {
  const [row] = await tx
    .select({ lastTextAt: contactHistory.lastTextAt, lastMarketingAt: contactHistory.lastMarketingAt })
    .from(contactHistory)
    .where(eq(contactHistory.phone, phone));
  return row;
}

/** A text went to `phone` at `at`; marketing texts also move the marketing mark. */
export async function recordText(tx: Transaction, tenantId: string, phone: string, at: Date, marketing: boolean) {
  await tx
    .insert(contactHistory)
    .values({ tenantId, phone, lastTextAt: at, lastMarketingAt: marketing ? at : null })
    .onConflictDoUpdate({
      target: [contactHistory.tenantId, contactHistory.phone],
      set: {
        lastTextAt: sql`GREATEST(${contactHistory.lastTextAt}, excluded.last_text_at)`,
        ...(marketing
          ? { lastMarketingAt: sql`GREATEST(${contactHistory.lastMarketingAt}, excluded.last_marketing_at)` }
          : {}),
      },
    });
}
