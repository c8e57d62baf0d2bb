import { taskParams } from "../queue/tasks";
import { contextFromAgent } from "../service-context";
import { startBridge } from "../speed-to-lead/bridge";
import { stageClock } from "../stage-clock";
import { defineAgent } from "./agent";

/**
 * Heavy: the speed-to-lead bridge (owner ↔ customer) for one lead. Queued
 * by intake; rings the owner, and Twilio's webhooks carry the call on. The
 * bridge asks the spend gate itself, with the owner's choice for the cap.
 */
export const salesAgent = defineAgent({
  task: "sales_agent",
  mode: "heavy",
  role: "member",
  params: taskParams.sales_agent,
  async run(params, context) {
    const { reportProgress } = context;
    const clock = stageClock();
    await reportProgress(10, "checking opt-outs and business hours");
    clock.mark("progress");
    const outcome = await startBridge(params, contextFromAgent(context), clock);
    context.log.info("bridge stages", { leadId: params.leadId, startedAt: clock.startedAt, stages: clock.stages() });
    await reportProgress(90, outcome.outcome === "dialing" ? "ringing the owner" : outcome.outcome);
    return outcome;
  },
});
