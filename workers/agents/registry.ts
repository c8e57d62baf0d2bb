import type { Agent } from "./agent";
import { bridgeMissed, inboundMissed, storeCallRecording } from "./call-follow-up";
import { analyzeCallAgent, leadScorerAgent, transcribeCallAgent } from "./call-intelligence";
import { entityExport } from "./entity-export";
import { healthCheck } from "./health-check";
import { logUsage } from "./log-usage";
import { onboardingAgent } from "./onboarding";
import { reactivatorAgent } from "./reactivator";
import { salesAgent } from "./sales-agent";
import { managerAgent, seoPipelineAgent, seoStageAgents } from "./seo";
import { huntScheduleAgent, sniperAgent } from "./sniper";
import { spendAlert } from "./spend-alert";
import { webhookDeliver } from "./webhook-deliver";
import { webhookDispatch } from "./webhook-dispatch";

/** Task name → agent. The queue consumer and the tasks route dispatch through this table only. */
export const agents: ReadonlyMap<string, Agent> = new Map<string, Agent>(
  [
    healthCheck,
    entityExport,
    logUsage,
    webhookDispatch,
    webhookDeliver,
    salesAgent,
    bridgeMissed,
    inboundMissed,
    storeCallRecording,
    transcribeCallAgent,
    analyzeCallAgent,
    leadScorerAgent,
    onboardingAgent,
    spendAlert,
    reactivatorAgent,
    sniperAgent,
    huntScheduleAgent,
    seoPipelineAgent,
    ...seoStageAgents,
    managerAgent,
  ].map((agent) => [agent.task, agent as Agent]),
);
