import { taskParams } from "../queue/tasks";
import { contextFromAgent } from "../service-context";
import { onboard } from "../services/onboarding";
import { defineAgent } from "./agent";

/**
 * Heavy: draft a project's generated DNA layer from its name, website and a
 * few answers. It declares no `spends`: at the spend cap the start is not
 * refused, because the service asks the gate itself and drafts by rules,
 * for free, instead of by the paid model (services/onboarding.ts).
 */
export const onboardingAgent = defineAgent({
  task: "onboarding",
  mode: "heavy",
  role: "admin",
  params: taskParams.onboarding,
  run: (params, context) =>
    onboard(params, {
      ...contextFromAgent(context),
      runKey: context.runId,
      progress: async (percent, message) => {
        await context.reportProgress(percent, message);
      },
    }),
});
