import { taskParams } from "../queue/tasks";
import { contextFromAgent } from "../service-context";
import { onboard } from "../services/onboarding";
import { defineAgent } from "./agent";

/** Heavy: draft a project's generated DNA layer from its name, website and a few answers. */
export const onboardingAgent = defineAgent({
  task: "onboarding",
  mode: "heavy",
  role: "admin",
  params: taskParams.onboarding,
  spends: (params) => ({ projectId: params.projectId, kind: "optional-ai" }),
  run: (params, context) =>
    onboard(params, { ...contextFromAgent(context), runKey: context.runId, progress: context.reportProgress }),
});
