import { and, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import { auditLog } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

export interface AuditFilter {
  entityId?: string | undefined;
  entityType?: string | undefined;
  action?: string | undefined;
  actorId?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  beforeId?: number | undefined;
  limit: number;
}

/** Newest first; the bigserial id is the cursor. */
export async function queryAudit(tx: Transaction, filter: AuditFilter) {
  const conditions: SQL[] = [];
  if (filter.entityId) conditions.push(eq(auditLog.entityId, filter.entityId));
  if (filter.entityType) conditions.push(eq(auditLog.entityType, filter.entityType));
  if (filter.action) conditions.push(eq(auditLog.action, filter.action));
  if (filter.actorId) conditions.push(eq(auditLog.actorId, filter.actorId));
  if (filter.since) conditions.push(gte(auditLog.createdAt, filter.since));
  if (filter.until) conditions.push(lte(auditLog.createdAt, filter.until));
  if (filter.beforeId) conditions.push(lt(auditLog.id, filter.beforeId));
  return tx
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.id))
    .limit(filter.limit);
}
