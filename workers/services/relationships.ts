import { withTenant } from "../../schema/tenant-transaction";
import { problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import { findEntity } from "../repositories/entities";
import {
  insertRelationship,
  type RelationshipRow,
  relationshipsOf,
  removeRelationship,
} from "../repositories/relationships";
import type { ServiceContext } from "../service-context";
import { earlierEffect, recordEffect } from "./idempotent-effects";

export interface Relationship {
  id: string;
  fromId: string;
  toId: string;
  type: string;
  data: Record<string, unknown>;
  createdAt: string;
}

const toRelationship = (row: RelationshipRow): Relationship => ({
  id: row.id,
  fromId: row.fromId,
  toId: row.toId,
  type: row.type,
  data: (row.data ?? {}) as Record<string, unknown>,
  createdAt: row.createdAt.toISOString(),
});

/** Typed, directed edge between two live entities of the tenant (lead → call, page → keyword). */
export async function relate(
  fromId: string,
  input: { toId: string; type: string; data?: Record<string, unknown> | undefined },
  { db, actor, idempotency }: Pick<ServiceContext, "db" | "actor"> & Partial<Pick<ServiceContext, "idempotency">>,
): Promise<Relationship> {
  return withTenant(db, actor.auth.tenantId, async (tx) => {
    const earlier = await earlierEffect<Relationship>(tx, idempotency);
    if (earlier) return earlier;
    const from = await findEntity(tx, fromId);
    if (!from || from.deletedAt) throw problems.notFound(`No entity ${fromId}.`);
    const to = await findEntity(tx, input.toId);
    if (!to || to.deletedAt) throw problems.validation([{ field: "toId", message: "no such entity" }]);
    const row = await insertRelationship(tx, {
      tenantId: actor.auth.tenantId,
      fromId,
      toId: input.toId,
      type: input.type,
      data: input.data ?? {},
    });
    if (!row)
      throw problems.conflict("relationship-exists", `${fromId} already has a ${input.type} edge to ${input.toId}.`);
    const relationship = toRelationship(row);
    await recordAudit(tx, actor, {
      action: "relationship.create",
      entityType: from.type,
      entityId: fromId,
      after: relationship,
    });
    await recordEffect(tx, actor.auth.tenantId, idempotency, relationship);
    return relationship;
  });
}

export async function relationshipsOfEntity(
  entityId: string,
  direction: "out" | "in" | "both",
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
) {
  return withTenant(db, actor.auth.tenantId, async (tx) => {
    if (!(await findEntity(tx, entityId))) throw problems.notFound(`No entity ${entityId}.`);
    return (await relationshipsOf(tx, entityId, direction)).map(toRelationship);
  });
}

export async function unrelate(
  entityId: string,
  relationshipId: string,
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
): Promise<void> {
  await withTenant(db, actor.auth.tenantId, async (tx) => {
    const row = await removeRelationship(tx, entityId, relationshipId);
    if (!row) throw problems.notFound(`No relationship ${relationshipId} on entity ${entityId}.`);
    await recordAudit(tx, actor, {
      action: "relationship.delete",
      entityId,
      before: toRelationship(row),
    });
  });
}
