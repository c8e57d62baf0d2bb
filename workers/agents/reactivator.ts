import { sendCampaignStretch } from "../campaigns/sender";
import { taskParams } from "../queue/tasks";
import { contextFromAgent } from "../service-context";
import { defineAgent } from "./agent";

/**
 * Internal: one stretch of a running campaign's texts (workers/campaigns/
 * sender.ts). Started by the tenant object's wake-up, never by a person:
 * people launch, pause and resume campaigns through their own routes.
 */
export const reactivatorAgent = defineAgent({
  task: "reactivator_agent",
  mode: "heavy",
  role: "admin",
  internal: true,
  params: taskParams.reactivator_agent,
  run: (params, context) =>
    sendCampaignStretch(params.campaignId, context.runId, { ...contextFromAgent(context), log: context.log }),
});
