import { eq, sql } from "drizzle-orm";
import { llmSettings } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

export type LlmSettingsRow = typeof llmSettings.$inferSelect;

export async function findLlmSettings(tx: Transaction, tenantId: string): Promise<LlmSettingsRow | undefined> {
  const [row] = await tx.select().from(llmSettings).where(eq(llmSettings.tenantId, tenantId));
  return row;
}

export async function upsertLlmSettings(
  tx: Transaction,
  row: Omit<typeof llmSettings.$inferInsert, "version" | "updatedAt">,
): Promise<LlmSettingsRow> {
  const [saved] = await tx
    .insert(llmSettings)
    .values(row)
    .onConflictDoUpdate({
      target: llmSettings.tenantId,
      set: {
        provider: row.provider,
        model: row.model ?? null,
        baseUrl: row.baseUrl ?? null,
        apiKeyCiphertext: row.apiKeyCiphertext ?? null,
        apiKeyHint: row.apiKeyHint ?? null,
        version: sql`${llmSettings.version} + 1`,
        updatedAt: sql`now()`,
      },
    })
    .returning();
  if (!saved) throw new Error("llm settings upsert returned nothing");
  return saved;
}
