import { createLogger } from "../logger";
import { retentionJob } from "./retention";

/**
 * Cron jobs by schedule (wrangler.toml [triggers]). The idempotency ledger
 * prunes itself by Durable Object alarm, not here.
 */
export type ScheduledJob = (env: Env, ctx: ExecutionContext) => Promise<void>;

const jobsByCron: Record<string, ScheduledJob[]> = {
  "17 3 * * *": [retentionJob],
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
