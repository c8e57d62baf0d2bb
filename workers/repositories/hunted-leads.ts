import { and, desc, eq, isNull, or, type SQL, sql } from "drizzle-orm";
import { entities } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";
import type { EntityRow } from "./entities";

/**
 * A lead of the project that a hunted post duplicates: hunted before from
 * the same canonical address (Apex's own `system.hunt.url`), or any lead with
 * the same phone or email, however it came in. Deleted leads count too: a
 * post the owner threw away is not brought back by the next hunt.
 */
export async function findHuntDuplicate(
  tx: Transaction,
  projectId: string,
  post: { url: string; phone: string | null; email: string | null },
): Promise<EntityRow | undefined> {
  const same: SQL[] = [sql`${entities.system}->'hunt'->>'url' = ${post.url}`];
  if (post.phone) same.push(and(isNull(entities.deletedAt), sql`${entities.data}->>'phone' = ${post.phone}`) as SQL);
  if (post.email) {
    same.push(and(isNull(entities.deletedAt), sql`lower(${entities.data}->>'email') = ${post.email}`) as SQL);
  }
  const [row] = await tx
    .select()
    .from(entities)
    .where(and(eq(entities.projectId, projectId), eq(entities.type, "lead"), or(...same)))
    .orderBy(desc(entities.createdAt))
    .limit(1);
  return row;
}

/** The project's hunted leads, newest first (the Hunt page). */
export async function listHuntedLeads(tx: Transaction, projectId: string, limit: number): Promise<EntityRow[]> {
  return tx
    .select()
    .from(entities)
    .where(
      and(
        eq(entities.projectId, projectId),
        eq(entities.type, "lead"),
        isNull(entities.deletedAt),
        sql`${entities.system} ? 'hunt'`,
      ),
    )
    .orderBy(desc(entities.createdAt))
    .limit(limit);
}
