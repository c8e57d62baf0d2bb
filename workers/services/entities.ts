import type { Transaction } from "../../schema/tenant-transaction";
import { withTenant } from "../../schema/tenant-transaction";
import { Problem, problems, zodFieldErrors } from "../problems";
import { auditRow } from "../repositories/audit";
import {
  changeEntityIfVersion,
  type EntityRow,
  findEntity,
  findLeadByPhone,
  findSnapshot,
  insertEntityInProject,
  listEntities,
  listSnapshots,
} from "../repositories/entities";
import type { ServiceContext } from "../service-context";
import { systemKeysIn } from "./entity-system";
import { dataSchemaFor } from "./entity-types";
import { earlierEffect, recordEffect } from "./idempotent-effects";
import { publishEntityChange } from "./realtime";

export interface Entity {
  id: string;
  projectId: string;
  type: string;
  name: string;
  status: string | null;
  data: Record<string, unknown>;
  /** What Apex wrote (bridge, timeline, recording, analysis, score…): read-only to every client. */
  system: Record<string, unknown>;
  version: number;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  /** Set while the entity's data lives in the cold archive (R2); POST …/unarchive brings it back. */
  archivedAt: string | null;
}

export function toEntity(row: EntityRow): Entity {
  return {
    id: row.id,
    projectId: row.projectId,
    type: row.type,
    name: row.name,
    status: row.status,
    data: (row.data ?? {}) as Record<string, unknown>,
    system: (row.system ?? {}) as Record<string, unknown>,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    deletedAt: row.deletedAt?.toISOString() ?? null,
    archivedAt: row.archivedAt?.toISOString() ?? null,
  };
}

async function validateData(tx: Transaction, type: string, data: unknown): Promise<Record<string, unknown>> {
  const schema = await dataSchemaFor(tx, type);
  if (!schema) throw problems.validation([{ field: "type", message: `no entity type named ${type}` }]);
  const reserved = systemKeysIn(type, data);
  if (reserved.length > 0) throw problems.validation(reserved);
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  throw problems.validation(zodFieldErrors(parsed.error.issues, "data"));
}

/** Not found and not yours are the same answer: no existence oracle across tenants. */
const notFound = (id: string) => problems.notFound(`No entity ${id}.`);

const preconditionFailed = (current: number) => problems.versionMismatch("The entity", current);

/**
 * What an entity write needs besides the database and the actor: where to
 * announce the committed change (fixtures that announce nothing leave it
 * out), and the request's Idempotency-Key, recorded with the change in its
 * transaction (decision 013).
 */
type EntityWrite = Pick<ServiceContext, "db" | "actor"> & Partial<Pick<ServiceContext, "publish" | "idempotency">>;

/** Reading needs only the tenant's database and who reads. */
type EntityRead = Pick<ServiceContext, "db" | "actor">;

/** `system` is for Apex's own writers (intake, voice, agents); the API's schema never passes it. */
export async function createEntity(
  input: {
    projectId: string;
    type: string;
    name: string;
    status?: string | undefined;
    data: unknown;
    system?: Record<string, unknown>;
  },
  { db, actor, publish, idempotency }: EntityWrite,
): Promise<Entity> {
  const created = await withTenant(db, actor.auth.tenantId, async (tx) => {
    // Published again on replay: the first attempt may have died before it announced the change.
    const earlier = await earlierEffect<Entity>(tx, idempotency);
    if (earlier) return earlier;
    const data = await validateData(tx, input.type, input.data);
    // Made here, not by Postgres, so that the audit row can carry the entity in the same statement.
    const now = new Date();
    const row: EntityRow = {
      id: crypto.randomUUID(),
      tenantId: actor.auth.tenantId,
      projectId: input.projectId,
      type: input.type,
      name: input.name,
      status: input.status ?? null,
      data,
      system: input.system ?? {},
      version: 1,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
      archivedAt: null,
    };
    const entity = toEntity(row);
    const audit = auditRow(actor, { action: "entity.create", entityType: row.type, entityId: row.id, after: entity });
    if (!(await insertEntityInProject(tx, row, audit))) {
      throw problems.validation([{ field: "projectId", message: "no such project" }]);
    }
    await recordEffect(tx, actor.auth.tenantId, idempotency, entity);
    return entity;
  });
  await publishEntityChange(publish, "entity.created", created);
  return created;
}

export async function getEntity(id: string, { db, actor }: EntityRead, includeDeleted = false): Promise<Entity> {
  const row = await withTenant(db, actor.auth.tenantId, (tx) => findEntity(tx, id));
  if (!row || (row.deletedAt && !includeDeleted)) throw notFound(id);
  return toEntity(row);
}

/**
 * Every change: read the current row, compare-and-set on its version, keep a
 * snapshot of the prior state, audit before/after — one transaction.
 */
async function changeEntity(
  id: string,
  expectedVersion: number,
  action: string,
  { db, actor, publish, idempotency }: EntityWrite,
  decide: (
    current: EntityRow,
    tx: Transaction,
  ) =>
    | Partial<Pick<EntityRow, "name" | "status" | "data" | "system" | "deletedAt">>
    | Promise<Partial<Pick<EntityRow, "name" | "status" | "data" | "system" | "deletedAt">>>,
): Promise<Entity> {
  const changed = await withTenant(db, actor.auth.tenantId, async (tx) => {
    const earlier = await earlierEffect<Entity>(tx, idempotency);
    if (earlier) return earlier;
    const current = await findEntity(tx, id);
    if (!current) throw notFound(id);
    if (current.version !== expectedVersion) throw preconditionFailed(current.version);
    const changes = await decide(current, tx);
    const updatedAt = new Date();
    const after = toEntity({ ...current, ...changes, version: current.version + 1, updatedAt });
    const audit = auditRow(actor, { action, entityType: current.type, entityId: id, before: toEntity(current), after });
    if (!(await changeEntityIfVersion(tx, current, changes, updatedAt, audit))) {
      // Another transaction committed between our read and our write.
      throw preconditionFailed((await findEntity(tx, id))?.version ?? current.version);
    }
    await recordEffect(tx, actor.auth.tenantId, idempotency, after);
    return after;
  });
  await publishEntityChange(publish, action, changed);
  return changed;
}

export async function updateEntity(
  id: string,
  expectedVersion: number,
  patch: { name?: string | undefined; status?: string | null | undefined; data?: unknown },
  context: EntityWrite,
): Promise<Entity> {
  return changeEntity(id, expectedVersion, "entity.update", context, async (current, tx) => {
    if (current.deletedAt) throw notFound(id);
    if (patch.status !== undefined && statusSetByApex(current)) {
      // A call Apex placed or answered takes its status from Twilio's callbacks.
      throw problems.validation([
        { field: "status", message: "is set by Apex for calls it placed or answered, and for campaigns" },
      ]);
    }
    if (patch.data !== undefined && dataFixedByApex(current)) {
      throw problems.validation([{ field: "data", message: "is fixed once the campaign is launched" }]);
    }
    return {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.data !== undefined ? { data: await validateData(tx, current.type, patch.data) } : {}),
    };
  });
}

export async function deleteEntity(id: string, expectedVersion: number, context: EntityWrite): Promise<Entity> {
  return changeEntity(id, expectedVersion, "entity.delete", context, (current) => {
    if (current.deletedAt) throw notFound(id);
    return { deletedAt: new Date() };
  });
}

export async function restoreEntity(id: string, context: EntityWrite): Promise<Entity> {
  const current = await getEntity(id, context, true);
  if (!current.deletedAt) return current;
  return changeEntity(id, current.version, "entity.restore", context, () => ({ deletedAt: null }));
}

export async function entitySnapshots(id: string, context: EntityRead) {
  await getEntity(id, context, true);
  const rows = await withTenant(context.db, context.actor.auth.tenantId, (tx) => listSnapshots(tx, id));
  return rows.map((r) => ({
    version: r.version,
    state: r.state as Record<string, unknown>,
    createdAt: r.createdAt.toISOString(),
  }));
}

/** Restoring a snapshot is itself a change: a new version whose state equals the snapshot's. */
export async function restoreSnapshot(id: string, version: number, expectedVersion: number, context: EntityWrite) {
  const snapshot = await withTenant(context.db, context.actor.auth.tenantId, (tx) => findSnapshot(tx, id, version));
  if (!snapshot) throw problems.notFound(`Entity ${id} has no snapshot of version ${version}.`);
  const state = snapshot.state as { name: string; status: string | null; data: unknown; deletedAt: string | null };
  // Restoring brings back what people wrote; Apex's own state stays as it is now
  // (older snapshots kept system keys in `data`: they are dropped, not restored),
  // and so does the status of a call Apex placed, which Twilio's callbacks set.
  return changeEntity(id, expectedVersion, "entity.snapshot_restore", context, (current) => ({
    name: state.name,
    status: statusSetByApex(current) ? current.status : state.status,
    data: dataFixedByApex(current) ? current.data : withoutSystemKeys(current.type, state.data),
    deletedAt: state.deletedAt ? new Date(state.deletedAt) : null,
  }));
}

// ── listing ──────────────────────────────────────────────────────────────────

function encodeCursor(row: Entity): string {
  return btoa(JSON.stringify([row.createdAt, row.id])).replace(/=+$/, "");
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(atob(cursor)) as [string, string];
    const date = new Date(createdAt);
    const year = date.getUTCFullYear();
    // Only what this API issues: a real date and an entity id, so nothing odd reaches the query.
    if (Number.isNaN(date.getTime()) || year < 2000 || year > 9999 || typeof id !== "string" || !UUID.test(id)) {
      throw new Error("bad cursor");
    }
    return { createdAt: date, id };
  } catch {
    throw problems.validation([{ field: "cursor", message: "not a cursor this API issued" }]);
  }
}

export async function listEntityPage(
  query: {
    type?: string | undefined;
    projectId?: string | undefined;
    status?: string | undefined;
    createdAfter?: Date | undefined;
    createdBefore?: Date | undefined;
    source?: string | undefined;
    minScore?: number | undefined;
    deleted?: "exclude" | "include" | "only" | undefined;
    cursor?: string | undefined;
    limit: number;
  },
  { db, actor }: EntityRead,
): Promise<{ items: Entity[]; nextCursor: string | null }> {
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const rows = await withTenant(db, actor.auth.tenantId, (tx) =>
    listEntities(tx, { ...query, deleted: query.deleted ?? "exclude", after, limit: query.limit + 1 }),
  );
  const items = rows.slice(0, query.limit).map(toEntity);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
}

/** Calls Apex placed or answered take their status from Twilio; a launched campaign's from its run. */
const statusSetByApex = (row: EntityRow) =>
  (row.type === "call" && Boolean((row.system as { kind?: unknown }).kind)) ||
  (row.type === "campaign" && Boolean((row.system as { run?: unknown }).run));

/**
 * A launched campaign's settings are what it was launched (by an admin) with:
 * its sender reads them as it goes, so the generic entities API may not change
 * its pace, limits, window or text mid-run.
 */
const dataFixedByApex = (row: EntityRow) =>
  row.type === "campaign" && ((row.system as { run?: { state?: unknown } }).run?.state ?? "draft") !== "draft";

function withoutSystemKeys(type: string, data: unknown): Record<string, unknown> {
  const copy = { ...((data ?? {}) as Record<string, unknown>) };
  for (const { field } of systemKeysIn(type, copy)) delete copy[field.slice("data.".length)];
  return copy;
}

/** A change made by Apex itself: it may write `system`, which no client can. */
interface Revision {
  name?: string;
  status?: string | null;
  data?: Record<string, unknown>;
  system?: Record<string, unknown>;
}

/**
 * For writers that are not a person holding an ETag (webhooks, agents): read
 * the current version, apply `change`, and compare-and-set; a lost race is
 * read again and retried, so concurrent callbacks each land once.
 */
export async function reviseEntity(
  id: string,
  change: (current: Entity) => Revision,
  context: EntityWrite,
  maxAttempts = 8,
): Promise<Entity> {
  return reviseEntityWith(id, "entity.update", async (current) => change(current), context, maxAttempts);
}

/**
 * reviseEntity for a change that writes rows of its own beside the entity
 * (a campaign's launch writes its recipients): `change` runs inside the
 * entity's transaction, so both land or neither does; audited as `action`.
 */
export async function reviseEntityWith(
  id: string,
  action: string,
  change: (current: Entity, tx: Transaction) => Promise<Revision>,
  context: EntityWrite,
  maxAttempts = 8,
): Promise<Entity> {
  for (let attempt = 1; ; attempt++) {
    const current = await getEntity(id, context);
    try {
      return await changeEntity(id, current.version, action, context, async (row, tx) => {
        if (row.deletedAt) throw notFound(id);
        const revision = await change(current, tx);
        return {
          ...(revision.name !== undefined ? { name: revision.name } : {}),
          ...(revision.status !== undefined ? { status: revision.status } : {}),
          ...(revision.data !== undefined ? { data: await validateData(tx, row.type, revision.data) } : {}),
          ...(revision.system !== undefined ? { system: revision.system } : {}),
        };
      });
    } catch (error) {
      if (!(error instanceof Problem && error.status === 412) || attempt >= maxAttempts) throw error;
      // Concurrent writers (a burst of Twilio callbacks on one call) back off a little, at random.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 15 * attempt));
    }
  }
}

/** The newest lead of a project with this phone, if any. */
export async function leadByPhone(
  projectId: string,
  phone: string,
  { db, actor }: EntityRead,
): Promise<Entity | undefined> {
  const row = await withTenant(db, actor.auth.tenantId, (tx) => findLeadByPhone(tx, projectId, phone));
  return row ? toEntity(row) : undefined;
}
