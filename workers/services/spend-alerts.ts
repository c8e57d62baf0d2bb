import { withTenant } from "../../schema/tenant-transaction";
import { enqueue } from "../queue/enqueue";
import { recordAudit } from "../repositories/audit";
import type { ServiceContext } from "../service-context";
import { publisherFor } from "./realtime";

export interface SpendAlert {
  projectId: string;
  month: string;
  /** The threshold just reached: 80 or 100 % of the monthly cap. */
  percent: 80 | 100;
  spentUsd: number;
  capUsd: number | null;
}

/**
 * Tells the owner their project reached 80 % or 100 % of its monthly cap:
 * an event on `project:{id}` (the dashboard and webhooks see it), an audit
 * row, and a text to the owner's phone (an account alert, never shed) sent by
 * the `spend_alert` agent. The tenant object decides that each threshold is
 * announced once per month (durable-objects/capabilities/spend.ts).
 */
export async function alertOwner(
  alert: SpendAlert,
  context: Pick<ServiceContext, "env" | "db" | "actor"> & Partial<Pick<ServiceContext, "publish">>,
): Promise<void> {
  const { env, db, actor } = context;
  await withTenant(db, actor.auth.tenantId, (tx) =>
    recordAudit(tx, actor, {
      action: "project.spend_alert",
      entityType: "project",
      entityId: alert.projectId,
      after: alert,
    }),
  );
  const publish = context.publish ?? publisherFor(env, actor.auth.tenantId);
  await publish(`project:${alert.projectId}`, "project.spend_alert", alert);
  await enqueue(env, actor.auth.tenantId, "spend_alert", {
    projectId: alert.projectId,
    month: alert.month,
    percent: alert.percent,
  });
}
