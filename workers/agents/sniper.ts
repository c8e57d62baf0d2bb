import { withTenant } from "../../schema/tenant-transaction";
import { hunt } from "../hunter/hunt";
import { huntRunKey, runScheduledHunt } from "../hunter/hunts";
import { Problem, problems } from "../problems";
import { taskParams } from "../queue/tasks";
import { contextFromAgent } from "../service-context";
import { leadHunterSettings } from "../services/dna";
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
  // A hunt with nothing to look for is refused at the start (422), not queued to fail.
  check: async (params, { db, actor }) => {
    const settings = await withTenant(db, actor.auth.tenantId, (tx) => leadHunterSettings(tx, params.projectId));
    if (!settings) throw problems.notFound(`No project ${params.projectId}.`);
    if (settings.keywords.length === 0 || settings.platforms.length === 0) {
      const field = settings.keywords.length === 0 ? "keywords" : "platforms";
      throw problems.validation([{ field: `modules.leadHunter.${field}`, message: "set at least one before hunting" }]);
    }
  },
  run: (params, context) =>
    hunt(params.projectId, {
      ...contextFromAgent(context),
      log: context.log,
      runKey: context.runId,
      progress: async (percent, message) => {
        // Cancelled (or taken over by another runner): this run stops here, and its key is free for the next.
        if (!(await context.reportProgress(percent, message))) {
          throw new Problem({
            status: 409,
            code: "ticket-not-running",
            title: "The hunt was stopped",
            detail: "The hunt's ticket was cancelled or taken over; this run stopped.",
          });
        }
      },
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
