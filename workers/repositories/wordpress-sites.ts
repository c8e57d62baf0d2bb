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
  row: Pick<WordPressSiteRow, "tenantId" | "projectId" | "url" | "username" | "sealedPassword" | "hint">,
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

/** The site's Search Console property and sealed token; the site must exist (undefined otherwise). */
export async function setSearchConsole(
  tx: Transaction,
  projectId: string,
  value: { property: string; sealedToken: string; hint: string },
): Promise<WordPressSiteRow | undefined> {
  const [saved] = await tx
    .update(wordpressSites)
    .set({
      searchConsoleProperty: value.property,
      searchConsoleSealedToken: value.sealedToken,
      searchConsoleHint: value.hint,
      updatedAt: new Date(),
    })
    .where(eq(wordpressSites.projectId, projectId))
    .returning();
  return saved;
}
