import { taskParams } from "../queue/tasks";
import { recordUsage } from "../services/usage";
import { defineAgent } from "./agent";

/**
 * Instant: records one billable use against a project (SPEC §5 "usage
 * writes"). Other agents call `recordUsage` directly; this is the door for
 * integrators and for spend that happens outside Apex's own agents.
 */
export const logUsage = defineAgent({
  task: "log_usage",
  mode: "instant",
  role: "member",
  params: taskParams.log_usage,
  spends: (params) => params.projectId,
  run: (params, { env, actor, db }) => recordUsage({ ...params, source: "log_usage" }, { env, db: db(), actor }),
});
