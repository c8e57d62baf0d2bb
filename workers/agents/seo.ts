import { taskParams } from "../queue/tasks";
import { seoStats } from "../seo/overview";
import { type PipelineContext, runPipeline, STAGES, type Stage } from "../seo/pipeline";
import { contextFromAgent } from "../service-context";
import { type AgentContext, defineAgent } from "./agent";

/**
 * The pSEO pipeline's agents (workers/seo/pipeline.ts): `seo_pipeline`, one
 * run of every stage for a project (one at a time per project), and one
 * internal agent per stage, which is what a stage's retried ticket runs:
 * the pipeline from that stage on.
 */
function pipelineContext(context: AgentContext, projectId: string): PipelineContext {
  const tenantId = context.tenantId;
  const tenant = context.env.TENANT.getByName(tenantId);
  const parentId = context.ticketId ?? context.runId;
  return {
    ...contextFromAgent(context),
    log: context.log,
    runKey: context.runId,
    async stage(name, work) {
      const ticket = await tenant.openStageTicket(tenantId, parentId, name, { projectId });
      const index = STAGES.indexOf(name);
      await context.reportProgress(Math.round((index / STAGES.length) * 100), `${name}: started`);
      try {
        const result = await work({
          progress: async (percent, message) => {
            await tenant.reportProgress(ticket.id, percent, message);
          },
          // A page's own ticket under its stage's: where a stage works page by page, each page shows (and fails) alone.
          page: async (slug, pageWork) => {
            const child = await tenant.openStageTicket(tenantId, ticket.id, name, { projectId, page: slug });
            try {
              const done = await pageWork();
              await tenant.completeTicket(child.id, JSON.stringify(done ?? null));
              return done;
            } catch (error) {
              await tenant.failTicket(child.id, error instanceof Error ? error.message : String(error));
              throw error;
            }
          },
        });
        await tenant.completeTicket(ticket.id, JSON.stringify(result ?? null));
        await context.reportProgress(Math.round(((index + 1) / STAGES.length) * 100), `${name}: done`);
        return result;
      } catch (error) {
        // The stage fails alone on its ticket, with its reason; the run stops here and resumes here.
        await tenant.failTicket(ticket.id, error instanceof Error ? error.message : String(error));
        throw error;
      }
    },
  };
}

export const seoPipelineAgent = defineAgent({
  task: "seo_pipeline",
  mode: "heavy",
  role: "admin",
  params: taskParams.seo_pipeline,
  spends: (params) => ({ projectId: params.projectId, kind: "optional-ai" }),
  runsAlone: (params) => `seo:${params.projectId}`,
  run: (params, context) => runPipeline(params.projectId, "scout_anchors", pipelineContext(context, params.projectId)),
});

const stageAgent = (stage: Stage) =>
  defineAgent({
    task: stage,
    mode: "heavy",
    role: "admin",
    internal: true,
    params: taskParams[stage],
    runsAlone: (params) => `seo:${params.projectId}`,
    run: (params, context) => runPipeline(params.projectId, stage, pipelineContext(context, params.projectId)),
  });

export const seoStageAgents = STAGES.map(stageAgent);

/** Instant: the pSEO numbers on the dashboard. */
export const managerAgent = defineAgent({
  task: "manager",
  mode: "instant",
  role: "viewer",
  params: taskParams.manager,
  run: (params, context) => seoStats(params.projectId, contextFromAgent(context)),
});
