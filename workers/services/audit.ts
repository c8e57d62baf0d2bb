import { withTenant } from "../../schema/tenant-transaction";
import { problems } from "../problems";
import { type AuditFilter, queryAudit } from "../repositories/audit-query";
import type { ServiceContext } from "../service-context";

export async function auditPage(
  query: Omit<AuditFilter, "beforeId"> & { cursor?: string | undefined },
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
) {
  const beforeId = query.cursor ? Number(query.cursor) : undefined;
  // A bigserial id, and only one that fits: a larger number would reach Postgres as an out-of-range bigint.
  if (beforeId !== undefined && (!Number.isSafeInteger(beforeId) || beforeId <= 0)) {
    throw problems.validation([{ field: "cursor", message: "not a cursor this API issued" }]);
  }
  const rows = await withTenant(db, actor.auth.tenantId, (tx) =>
    queryAudit(tx, { ...query, beforeId, limit: query.limit + 1 }),
  );
  const items = rows.slice(0, query.limit).map((r) => ({
    id: r.id,
    action: r.action,
    actorType: r.actorType,
    actorId: r.actorId,
    requestId: r.requestId,
    entityType: r.entityType,
    entityId: r.entityId,
    before: r.before,
    after: r.after,
    ip: r.ip,
    verification: {
      method: r.authMethod,
      kid: r.authKid,
      issuer: r.authIssuer,
      verifiedAt: r.verifiedAt?.toISOString() ?? null,
    },
    createdAt: r.createdAt.toISOString(),
  }));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > query.limit && last ? String(last.id) : null };
}
