import { taskParams } from "../queue/tasks";
import { onboard } from "../services/onboarding";
import { defineAgent } from "./agent";

/** Heavy: draft a project's generated DNA layer from its name, website and a few answers. */
export const onboardingAgent = defineAgent({
  task: "onboarding",
  mode: "heavy",
  role: "admin",
  params: taskParams.onboarding,
  spends: (params) => params.projectId,
  run: (params, { env, actor, db, runId, reportProgress }) =>
    onboard(params, { env, db: db(), actor, runKey: runId, progress: reportProgress }),
});
