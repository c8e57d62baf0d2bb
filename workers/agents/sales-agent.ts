import { z } from "zod";
import { startBridge } from "../services/voice";
import { defineAgent } from "./agent";

/**
 * Heavy: the speed-to-lead bridge for one lead (seed §3.1 SalesAgent). Queued
 * by intake; rings the owner, and Twilio's webhooks carry the call on.
 */
export const salesAgent = defineAgent({
  task: "sales_agent",
  mode: "heavy",
  role: "member",
  params: z
    .object({
      leadId: z.uuid(),
      projectId: z.uuid(),
      /** Set by a person's "call now": a new bridge even if the lead was called before. */
      attempt: z.string().max(100).optional(),
    })
    .strict(),
  spends: (params) => params.projectId,
  async run(params, { env, actor, db, tenantId, reportProgress }) {
    await reportProgress(10, "checking opt-outs and business hours");
    const outcome = await startBridge(params, {
      env,
      db: db(),
      actor,
      schedule: async (delaySeconds) => {
        await env.AGENTS.send({ task: "sales_agent", tenantId, params, enqueuedAt: Date.now() }, { delaySeconds });
      },
    });
    await reportProgress(90, outcome.outcome === "dialing" ? "ringing the owner" : outcome.outcome);
    return outcome;
  },
});
