import { withTenant } from "../../schema/tenant-transaction";
import { listProjects as listProjectRows } from "../repositories/projects";
import type { ServiceContext } from "../service-context";

/** The tenant's projects (GET /api/v1/projects, and the project a settings page edits). */
export async function listProjects({ db, actor }: Pick<ServiceContext, "db" | "actor">) {
  const rows = await withTenant(db, actor.auth.tenantId, (tx) => listProjectRows(tx));
  return rows.map((p) => ({
    id: p.id,
    name: p.name,
    spendStatus: p.spendStatus,
    createdAt: p.createdAt.toISOString(),
  }));
}
