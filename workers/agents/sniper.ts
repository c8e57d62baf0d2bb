import { hunt } from "../hunter/hunt";
import { huntRunKey, runScheduledHunt } from "../hunter/hunts";
import { taskParams } from "../queue/tasks";
import { contextFromAgent } from "../service-context";
import { defineAgent } from "./agent";

/**
 * Heavy: one hunt of one project's job boards (workers/hunter/hunt.ts), with
 * progress per board and page. One at a time per project: a second start
 * joins the running ticket. Refused with a 402 at the spend cap's hunting
 * threshold (the first thing to stop).
 */
export const sniperAgent = defineAgent({
  task: "sniper_agent",
  mode: "heavy",
  role: "member",
  params: taskParams.sniper_agent,
  spends: (params) => ({ projectId: params.projectId, kind: "hunting" }),
  runsAlone: (params) => huntRunKey(params.projectId),
  run: (params, context) =>
    hunt(params.projectId, {
      ...contextFromAgent(context),
      log: context.log,
      runKey: context.runId,
      progress: context.reportProgress,
    }),
});

/** Internal: the schedule's wake-up, which starts a scheduled hunt inside the project's window. */
export const huntScheduleAgent = defineAgent({
  task: "hunt_schedule",
  mode: "heavy",
  role: "admin",
  internal: true,
  params: taskParams.hunt_schedule,
  run: (params, context) => runScheduledHunt(params.projectId, context.runId, contextFromAgent(context)),
});
