import { createLogger } from "../logger";

/**
 * Cron jobs by schedule. Retention, cold archive and ledger pruning register
 * here with the primitives issue; until then a cron tick only logs.
 */
export type ScheduledJob = (env: Env, ctx: ExecutionContext) => Promise<void>;

export const jobsByCron: Record<string, ScheduledJob[]> = {
  "*/15 * * * *": [],
  "17 3 * * *": [],
};

export async function runScheduledJobs(
  controller: ScheduledController,
  env: Env,
  ctx: ExecutionContext,
): Promise<void> {
  const log = createLogger({ cron: controller.cron });
  const jobs = jobsByCron[controller.cron] ?? [];
  log.info("cron tick", { jobs: jobs.length });
  for (const job of jobs) await job(env, ctx);
}
