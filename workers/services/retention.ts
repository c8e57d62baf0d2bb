import type { Database } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import { systemActor } from "../context";
import type { Logger } from "../logger";
import { recordAudit } from "../repositories/audit";
import {
  archivableEntities,
  listRetentionPolicies,
  purgeDeletedEntities,
  type RetentionPolicyRow,
  tenantsWithPolicies,
  upsertRetentionPolicy,
} from "../repositories/retention";
import type { ServiceContext } from "../service-context";
import { archiveEntity } from "./archive";

const DAY_MS = 86_400_000;
/** Per tenant, type and run: bounds the work one cron invocation does. */
const ARCHIVE_BATCH = 100;

export interface RetentionPolicy {
  entityType: string;
  purgeDeletedAfterDays: number | null;
  archiveAfterDays: number | null;
  updatedAt: string;
}

const toPolicy = (row: RetentionPolicyRow): RetentionPolicy => ({
  entityType: row.entityType,
  purgeDeletedAfterDays: row.purgeDeletedAfterDays,
  archiveAfterDays: row.archiveAfterDays,
  updatedAt: row.updatedAt.toISOString(),
});

export async function setRetentionPolicy(
  entityType: string,
  input: { purgeDeletedAfterDays: number | null; archiveAfterDays: number | null },
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
): Promise<RetentionPolicy> {
  return withTenant(db, actor.auth.tenantId, async (tx) => {
    const row = await upsertRetentionPolicy(tx, { tenantId: actor.auth.tenantId, entityType, ...input });
    await recordAudit(tx, actor, {
      action: "retention_policy.set",
      entityType: "retention_policy",
      after: toPolicy(row),
    });
    return toPolicy(row);
  });
}

export async function retentionPolicies({ db, actor }: Pick<ServiceContext, "db" | "actor">) {
  return (await withTenant(db, actor.auth.tenantId, (tx) => listRetentionPolicies(tx))).map(toPolicy);
}

interface RetentionReport {
  tenants: number;
  purged: number;
  archived: number;
}

/** The cron job: every tenant's policies, applied as that tenant (RLS holds throughout). */
export async function applyRetention(
  deps: { db: Database; archive: R2Bucket; log: Logger },
  now = Date.now(),
): Promise<RetentionReport> {
  const report: RetentionReport = { tenants: 0, purged: 0, archived: 0 };
  for (const tenantId of await tenantsWithPolicies(deps.db)) {
    report.tenants += 1;
    const actor = systemActor(tenantId, "retention");
    const policies = await withTenant(deps.db, tenantId, (tx) => listRetentionPolicies(tx));
    for (const policy of policies) {
      if (policy.purgeDeletedAfterDays !== null) {
        const cutoff = new Date(now - policy.purgeDeletedAfterDays * DAY_MS);
        const purged = await withTenant(deps.db, tenantId, async (tx) => {
          const ids = await purgeDeletedEntities(tx, policy.entityType, cutoff);
          for (const id of ids) {
            await recordAudit(tx, actor, { action: "entity.purge", entityType: policy.entityType, entityId: id });
          }
          return ids.length;
        });
        report.purged += purged;
      }
      if (policy.archiveAfterDays !== null) {
        const cutoff = new Date(now - policy.archiveAfterDays * DAY_MS);
        const candidates = await withTenant(deps.db, tenantId, (tx) =>
          archivableEntities(tx, policy.entityType, cutoff, ARCHIVE_BATCH),
        );
        for (const entity of candidates) {
          if (await archiveEntity(entity.id, { db: deps.db, archive: deps.archive, actor })) report.archived += 1;
        }
      }
    }
  }
  deps.log.info("retention applied", { ...report });
  return report;
}
