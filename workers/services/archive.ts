import { z } from "zod";
import { withTenant } from "../../schema/tenant-transaction";
import { Problem, problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import { findEntity } from "../repositories/entities";
import {
  deleteSnapshotsOf,
  markArchived,
  markUnarchived,
  restoreSnapshotRows,
  snapshotsOf,
} from "../repositories/retention";
import type { ServiceContext } from "../service-context";
import { objectKeys } from "../storage/object-keys";
import { type Entity, toEntity } from "./entities";

/**
 * The cold archive: an entity's data and history move to R2 as
 * NDJSON — first line the entity, then one line per snapshot — and the row
 * stays behind as a stub (`archivedAt` set, `data` empty) so ids, relations
 * and audit references keep working. R2 is written before Postgres changes:
 * a crash in between leaves an extra object, never lost data.
 */
export const archiveKey = objectKeys.archive;

// Archives written before the `system` column have none: they bring back `{}`.
const archivedEntityLine = z.object({
  kind: z.literal("entity"),
  id: z.uuid(),
  data: z.unknown(),
  system: z.unknown().default({}),
});
const archivedSnapshotLine = z.object({
  kind: z.literal("snapshot"),
  version: z.number().int(),
  state: z.unknown(),
  createdAt: z.string(),
});

export async function archiveEntity(
  entityId: string,
  { db, archive, actor }: Pick<ServiceContext, "db" | "actor"> & { archive: R2Bucket },
): Promise<boolean> {
  const tenantId = actor.auth.tenantId;
  const loaded = await withTenant(db, tenantId, async (tx) => {
    const entity = await findEntity(tx, entityId);
    return entity && !entity.archivedAt ? { entity, snapshots: await snapshotsOf(tx, entityId) } : undefined;
  });
  if (!loaded) return false;
  const lines = [
    JSON.stringify({ kind: "entity", ...toEntity(loaded.entity) }),
    ...loaded.snapshots.map((s) =>
      JSON.stringify({ kind: "snapshot", version: s.version, state: s.state, createdAt: s.createdAt.toISOString() }),
    ),
  ];
  await archive.put(archiveKey(tenantId, entityId), `${lines.join("\n")}\n`, {
    httpMetadata: { contentType: "application/x-ndjson" },
  });
  return withTenant(db, tenantId, async (tx) => {
    if (!(await markArchived(tx, entityId, loaded.entity.version))) return false; // changed meanwhile: next run
    await deleteSnapshotsOf(tx, entityId);
    await recordAudit(tx, actor, {
      action: "entity.archive",
      entityType: loaded.entity.type,
      entityId,
      after: { archiveKey: archiveKey(tenantId, entityId), snapshots: loaded.snapshots.length },
    });
    return true;
  });
}

export async function unarchiveEntity(
  entityId: string,
  { db, archive, actor }: Pick<ServiceContext, "db" | "actor"> & { archive: R2Bucket },
): Promise<Entity> {
  const tenantId = actor.auth.tenantId;
  const current = await withTenant(db, tenantId, (tx) => findEntity(tx, entityId));
  if (!current) throw problems.notFound(`No entity ${entityId}.`);
  if (!current.archivedAt) return toEntity(current);
  const object = await archive.get(archiveKey(tenantId, entityId));
  if (!object) {
    throw new Problem({
      status: 409,
      code: "archive-missing",
      title: "Archive object missing",
      detail: `The archive of entity ${entityId} is not in storage; it cannot be brought back.`,
    });
  }
  const [first, ...rest] = (await object.text()).split("\n").filter(Boolean);
  const entityLine = archivedEntityLine.parse(JSON.parse(first ?? "{}"));
  const snapshots = rest.map((line) => archivedSnapshotLine.parse(JSON.parse(line)));
  const restored = await withTenant(db, tenantId, async (tx) => {
    const row = await markUnarchived(tx, entityId, entityLine.data, entityLine.system);
    if (!row) throw problems.notFound(`No archived entity ${entityId}.`);
    await restoreSnapshotRows(
      tx,
      snapshots.map((s) => ({
        tenantId,
        entityId,
        version: s.version,
        state: s.state,
        createdAt: new Date(s.createdAt),
      })),
    );
    await recordAudit(tx, actor, { action: "entity.unarchive", entityType: row.type, entityId, after: toEntity(row) });
    return toEntity(row);
  });
  await archive.delete(archiveKey(tenantId, entityId));
  return restored;
}
