import { and, eq, gte, lt, sql } from "drizzle-orm";
import { projects, usageEvents } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

export type UsageEventRow = typeof usageEvents.$inferSelect;

/** [start, end) of a `YYYY-MM` month in UTC. */
function monthRange(month: string): [Date, Date] {
  const start = new Date(`${month}-01T00:00:00Z`);
  const end = new Date(start);
  end.setUTCMonth(end.getUTCMonth() + 1);
  return [start, end];
}

interface ProjectSpendFacts {
  capMicros: number | null;
  spendStatus: string;
  totalMicros: number;
}

/** The project's cap, stored status and the month's spend, summed in Postgres; undefined if RLS hides it. */
export async function projectSpendFacts(
  tx: Transaction,
  projectId: string,
  month: string,
): Promise<ProjectSpendFacts | undefined> {
  const [project] = await tx
    .select({ capMicros: projects.monthlyCapMicros, spendStatus: projects.spendStatus })
    .from(projects)
    .where(eq(projects.id, projectId));
  if (!project) return undefined;
  const [start, end] = monthRange(month);
  const [sum] = await tx
    .select({ total: sql<string | null>`sum(${usageEvents.costMicros})` })
    .from(usageEvents)
    .where(
      and(eq(usageEvents.projectId, projectId), gte(usageEvents.occurredAt, start), lt(usageEvents.occurredAt, end)),
    );
  return { ...project, totalMicros: Number(sum?.total ?? 0) };
}

/** The month's use per resource. */
export async function usageByResource(tx: Transaction, projectId: string, month: string) {
  const [start, end] = monthRange(month);
  const rows = await tx
    .select({
      resource: usageEvents.resource,
      quantity: sql<number>`sum(${usageEvents.quantity})`,
      costMicros: sql<string>`sum(${usageEvents.costMicros})`,
      uses: sql<number>`count(*)::int`,
    })
    .from(usageEvents)
    .where(
      and(eq(usageEvents.projectId, projectId), gte(usageEvents.occurredAt, start), lt(usageEvents.occurredAt, end)),
    )
    .groupBy(usageEvents.resource)
    .orderBy(usageEvents.resource);
  return rows.map((r) => ({ ...r, quantity: Number(r.quantity), costMicros: Number(r.costMicros) }));
}

/** undefined when the idempotency key was used already. */
export async function insertUsageEvent(
  tx: Transaction,
  row: typeof usageEvents.$inferInsert,
): Promise<UsageEventRow | undefined> {
  const [inserted] = await tx
    .insert(usageEvents)
    .values(row)
    .onConflictDoNothing({ target: [usageEvents.tenantId, usageEvents.idempotencyKey] })
    .returning();
  return inserted;
}

export async function usageEventByKey(tx: Transaction, idempotencyKey: string): Promise<UsageEventRow | undefined> {
  const [row] = await tx.select().from(usageEvents).where(eq(usageEvents.idempotencyKey, idempotencyKey));
  return row;
}

export async function setProjectSpendStatus(tx: Transaction, projectId: string, status: "active" | "paused") {
  await tx.update(projects).set({ spendStatus: status, updatedAt: sql`now()` }).where(eq(projects.id, projectId));
}

export async function setProjectCap(
  tx: Transaction,
  projectId: string,
  capMicros: number | null,
  status: "active" | "paused",
) {
  await tx
    .update(projects)
    .set({ monthlyCapMicros: capMicros, spendStatus: status, updatedAt: sql`now()` })
    .where(eq(projects.id, projectId));
}
