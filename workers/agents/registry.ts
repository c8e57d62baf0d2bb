import type { Agent } from "./agent";
import { tenantHeartbeat } from "./tenant-heartbeat";

/** Task name → agent. The queue consumer dispatches through this table only. */
export const agents: ReadonlyMap<string, Agent> = new Map<string, Agent>([[tenantHeartbeat.task, tenantHeartbeat]]);
