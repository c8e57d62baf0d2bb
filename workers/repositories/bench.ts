import type { Database } from "../../schema/db";
import { auditLog } from "../../schema/tables";
import { withTenant } from "../../schema/tenant-transaction";

/** One insert through the tenant transaction: the floor every write path pays. */
export async function insertBenchRow(db: Database, tenantId: string, requestId: string): Promise<void> {
  await withTenant(db, tenantId, (tx) =>
    tx
      .insert(auditLog)
      .values({ tenantId, actorType: "system", requestId, action: "bench.insert", authMethod: "system" }),
  );
}
