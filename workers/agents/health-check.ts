import { taskParams } from "../queue/tasks";
import { checkHealth } from "../services/health";
import { defineAgent } from "./agent";

/** Instant: the platform's health as the `health_check` task. */
export const healthCheck = defineAgent({
  task: "health_check",
  mode: "instant",
  role: "viewer",
  params: taskParams.health_check,
  run: (_params, { env, waitUntil }) => checkHealth(env, waitUntil),
});
