import { and, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { entities, optOuts } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

/** The project's leads already holding one of these phones or emails: id, phone, email. */
export async function leadsWithContacts(
  tx: Transaction,
  projectId: string,
  phones: string[],
  emails: string[],
): Promise<{ id: string; phone: string | null; email: string | null }[]> {
  if (phones.length === 0 && emails.length === 0) return [];
  const phone = sql<string | null>`${entities.data}->>'phone'`;
  const email = sql<string | null>`lower(${entities.data}->>'email')`;
  return tx
    .select({ id: entities.id, phone, email })
    .from(entities)
    .where(
      and(
        eq(entities.projectId, projectId),
        eq(entities.type, "lead"),
        isNull(entities.deletedAt),
        or(
          phones.length > 0 ? inArray(phone, phones) : sql`false`,
          emails.length > 0 ? inArray(email, emails) : sql`false`,
        ),
      ),
    );
}

/** Which of these phones said STOP (row-level security: this tenant's ledger). */
export async function optedOutAmong(tx: Transaction, phones: string[]): Promise<Set<string>> {
  if (phones.length === 0) return new Set();
  const rows = await tx
    .select({ phone: optOuts.phone })
    .from(optOuts)
    .where(and(inArray(optOuts.phone, phones), eq(optOuts.optedOut, true)));
  return new Set(rows.map((r) => r.phone));
}

/** Many leads in statements of 500 rows; their ids in input order. */
export async function insertLeads(
  tx: Transaction,
  rows: { tenantId: string; projectId: string; name: string; status: string; data: unknown; system: unknown }[],
): Promise<{ id: string; name: string }[]> {
  const made: { id: string; name: string }[] = [];
  for (let start = 0; start < rows.length; start += 500) {
    const slice = rows.slice(start, start + 500).map((row) => ({ ...row, type: "lead" }));
    made.push(...(await tx.insert(entities).values(slice).returning({ id: entities.id, name: entities.name })));
  }
  return made;
}
