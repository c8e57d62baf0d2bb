import type { Agent } from "./agent";
import { entityExport } from "./entity-export";
import { healthCheck } from "./health-check";
import { logUsage } from "./log-usage";
import { tenantHeartbeat } from "./tenant-heartbeat";
import { webhookDeliver } from "./webhook-deliver";
import { webhookDispatch } from "./webhook-dispatch";

/** Task name → agent. The queue consumer and the tasks route dispatch through this table only. */
export const agents: ReadonlyMap<string, Agent> = new Map<string, Agent>(
  [tenantHeartbeat, healthCheck, entityExport, logUsage, webhookDispatch, webhookDeliver].map((agent) => [
    agent.task,
    agent as Agent,
  ]),
);
