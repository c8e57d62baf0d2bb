import { openDatabase } from "../../schema/db";
import { createLogger } from "../logger";
import { applyRetention } from "../services/retention";
import type { ScheduledJob } from "./scheduled";

/** Daily: purge soft-deleted entities and move old ones to the cold archive, per each tenant's policies. */
export const retentionJob: ScheduledJob = async (env) => {
  const handle = openDatabase(env);
  try {
    await applyRetention({ db: handle.db, archive: env.ARCHIVE, log: createLogger({ job: "retention" }) });
  } finally {
    await handle.close();
  }
};
