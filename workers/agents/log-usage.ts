import { taskParams } from "../queue/tasks";
import { contextFromAgent } from "../service-context";
import { recordUsage } from "../services/usage";
import { defineAgent } from "./agent";

/**
 * Instant: records one billable use against a project (usage writes answer
 * at once, not with a ticket). Other agents call `recordUsage` directly; this is the door for
 * integrators and for spend that happens outside Apex's own agents.
 */
export const logUsage = defineAgent({
  task: "log_usage",
  mode: "instant",
  // Usage is money: a number logged here counts against the cap and can pause the project.
  // Never refused at the cap: a spend that happened is always recorded.
  role: "admin",
  params: taskParams.log_usage,
  run: (params, context) => recordUsage({ ...params, source: "log_usage" }, contextFromAgent(context)),
});
