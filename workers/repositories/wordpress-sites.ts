import { eq } from "drizzle-orm";
import { wordpressSites } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

export type WordPressSiteRow = typeof wordpressSites.$inferSelect;

export async function findWordPressSite(tx: Transaction, projectId: string): Promise<WordPressSiteRow | undefined> {
  const [row] = await tx.select().from(wordpressSites).where(eq(wordpressSites.projectId, projectId));
  return row;
}

export async function putWordPressSite(
  tx: Transaction,
  row: Omit<WordPressSiteRow, "updatedAt">,
): Promise<WordPressSiteRow> {
  const [saved] = await tx
    .insert(wordpressSites)
    .values({ ...row, updatedAt: new Date() })
    .onConflictDoUpdate({
      target: wordpressSites.projectId,
      set: {
        url: row.url,
        username: row.username,
        sealedPassword: row.sealedPassword,
        hint: row.hint,
        updatedAt: new Date(),
      },
    })
    .returning();
  return saved as WordPressSiteRow;
}
