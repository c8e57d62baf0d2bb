import { and, desc, eq, gt, isNotNull, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { auditLog, entities, entitySnapshots, projects } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";
import { rowForInsertSelect } from "./insert-select";

export type EntityRow = typeof entities.$inferSelect;

export async function projectExists(tx: Transaction, projectId: string): Promise<boolean> {
  const rows = await tx
    .select({ id: projects.id })
    .from(projects)
    .where(and(eq(projects.id, projectId), isNull(projects.deletedAt)));
  return rows.length === 1;
}

/**
 * A new entity — only in a live project the transaction's tenant can see —
 * and its audit row, in one statement: entity create's only round trip
 * between begin and commit (decision 029). The caller chose the id and the
 * timestamps, so the audit row can hold the entity as created. False when
 * there is no such project; then nothing was written.
 */
export async function insertEntityInProject(
  tx: Transaction,
  entity: typeof entities.$inferInsert & { id: string; projectId: string },
  audit: typeof auditLog.$inferInsert,
): Promise<boolean> {
  const { projectId, ...rest } = entity;
  const row = rowForInsertSelect(entities, rest);
  const audited = rowForInsertSelect(auditLog, audit);
  const result = await tx.execute(sql`
    with inserted as (
      insert into ${entities} (${sql.identifier(entities.projectId.name)}, ${row.columns})
      select ${projects.id}, ${row.values} from ${projects}
      where ${projects.id} = ${projectId} and ${projects.deletedAt} is null
      returning ${entities.id}
    )
    insert into ${auditLog} (${audited.columns}) select ${audited.values} from inserted
    returning ${auditLog.entityId}`);
  return result.rows.length === 1;
}

/** Row-level security already limits this to the transaction's tenant. */
export async function findEntity(tx: Transaction, id: string): Promise<EntityRow | undefined> {
  const [row] = await tx.select().from(entities).where(eq(entities.id, id));
  return row;
}

/**
 * Writes only if the stored version is still `expectedVersion` — the
 * compare-and-set that makes a stale If-Match change nothing.
 */
/**
 * Compare-and-set on the version, the prior state kept as a snapshot, and the
 * audit row, in one statement: an entity change's only round trip after its
 * read (decision 029). The caller computed the row as it will be (version + 1,
 * `updatedAt` chosen by the caller), so the audit row can hold it. False when
 * the stored version is no longer `current.version`: then nothing was written.
 */
export async function changeEntityIfVersion(
  tx: Transaction,
  current: EntityRow,
  changes: Partial<Pick<EntityRow, "name" | "status" | "data" | "system" | "deletedAt">>,
  updatedAt: Date,
  audit: typeof auditLog.$inferInsert,
): Promise<boolean> {
  const update = tx
    .update(entities)
    .set({ ...changes, version: sql`${entities.version} + 1`, updatedAt })
    .where(and(eq(entities.id, current.id), eq(entities.version, current.version)))
    .returning({ id: entities.id });
  const snapshot = rowForInsertSelect(entitySnapshots, {
    tenantId: current.tenantId,
    entityId: current.id,
    version: current.version,
    state: {
      name: current.name,
      status: current.status,
      data: current.data,
      system: current.system,
      deletedAt: current.deletedAt,
    },
  });
  const audited = rowForInsertSelect(auditLog, audit);
  const result = await tx.execute(sql`
    with updated as (${update.getSQL()}),
    snapshot as (insert into ${entitySnapshots} (${snapshot.columns}) select ${snapshot.values} from updated)
    insert into ${auditLog} (${audited.columns}) select ${audited.values} from updated
    returning ${auditLog.entityId}`);
  return result.rows.length === 1;
}

export async function listSnapshots(tx: Transaction, entityId: string) {
  return tx
    .select({ version: entitySnapshots.version, state: entitySnapshots.state, createdAt: entitySnapshots.createdAt })
    .from(entitySnapshots)
    .where(eq(entitySnapshots.entityId, entityId))
    .orderBy(desc(entitySnapshots.version));
}

export async function findSnapshot(tx: Transaction, entityId: string, version: number) {
  const [row] = await tx
    .select({ version: entitySnapshots.version, state: entitySnapshots.state })
    .from(entitySnapshots)
    .where(and(eq(entitySnapshots.entityId, entityId), eq(entitySnapshots.version, version)));
  return row;
}

interface EntityFilter {
  type?: string | undefined;
  projectId?: string | undefined;
  status?: string | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  /** `data.source` equals this. */
  source?: string | undefined;
  /** Apex's score (`system.score.value`) at least this; unscored rows count as 0. */
  minScore?: number | undefined;
  deleted?: "exclude" | "include" | "only";
  /** Keyset position: rows strictly older than this (created_at, id). */
  after?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/** Newest first, keyset-paginated on (created_at, id) so pages never skip or repeat rows. */
export async function listEntities(tx: Transaction, filter: EntityFilter): Promise<EntityRow[]> {
  const conditions: SQL[] = [];
  if (filter.type) conditions.push(eq(entities.type, filter.type));
  if (filter.projectId) conditions.push(eq(entities.projectId, filter.projectId));
  if (filter.status) conditions.push(eq(entities.status, filter.status));
  if (filter.createdAfter) conditions.push(gt(entities.createdAt, filter.createdAfter));
  if (filter.createdBefore) conditions.push(lt(entities.createdAt, filter.createdBefore));
  if (filter.source) conditions.push(sql`${entities.data}->>'source' = ${filter.source}`);
  if (filter.minScore) {
    conditions.push(sql`coalesce((${entities.system}->'score'->>'value')::numeric, 0) >= ${filter.minScore}`);
  }
  if ((filter.deleted ?? "exclude") === "exclude") conditions.push(isNull(entities.deletedAt));
  if (filter.deleted === "only") conditions.push(isNotNull(entities.deletedAt));
  // Postgres keeps microseconds, JavaScript dates milliseconds: page on the
  // millisecond so a cursor taken from a row compares equal to that row.
  const createdMs = sql`date_trunc('milliseconds', ${entities.createdAt})`;
  if (filter.after) {
    const at = filter.after.createdAt.toISOString();
    const position = or(
      sql`${createdMs} < ${at}::timestamptz`,
      and(sql`${createdMs} = ${at}::timestamptz`, lt(entities.id, filter.after.id)),
    );
    if (position) conditions.push(position);
  }
  return tx
    .select()
    .from(entities)
    .where(and(...conditions))
    .orderBy(desc(createdMs), desc(entities.id))
    .limit(filter.limit);
}

export async function findLeadByPhone(
  tx: Transaction,
  projectId: string,
  phone: string,
): Promise<EntityRow | undefined> {
  const [row] = await tx
    .select()
    .from(entities)
    .where(
      and(
        eq(entities.projectId, projectId),
        eq(entities.type, "lead"),
        isNull(entities.deletedAt),
        sql`${entities.data}->>'phone' = ${phone}`,
      ),
    )
    .orderBy(desc(entities.createdAt))
    .limit(1);
  return row;
}

/** A project's live entities of one type, oldest first (a pipeline stage's inputs), at most `limit`. */
export async function listProjectEntitiesOfType(
  tx: Transaction,
  projectId: string,
  type: string,
  limit = 2_000,
): Promise<EntityRow[]> {
  return tx
    .select()
    .from(entities)
    .where(and(eq(entities.projectId, projectId), eq(entities.type, type), isNull(entities.deletedAt)))
    .orderBy(entities.createdAt, entities.id)
    .limit(limit);
}
