import { z } from "zod";
import { recordUsage } from "../services/usage";
import { RESOURCES } from "../usage/prices";
import { defineAgent } from "./agent";

/**
 * Instant: records one billable use against a project (SPEC §5 "usage
 * writes"). Other agents call `recordUsage` directly; this is the door for
 * integrators and for spend that happens outside Apex's own agents.
 */
export const logUsage = defineAgent({
  task: "log_usage",
  mode: "instant",
  role: "member",
  params: z
    .object({
      projectId: z.uuid(),
      resource: z.enum(RESOURCES),
      quantity: z.number().positive().max(1_000_000_000),
      reference: z.string().max(200).optional(),
      /** The same key twice records one use. */
      idempotencyKey: z.string().min(1).max(200).optional(),
    })
    .strict(),
  spends: (params) => params.projectId,
  run: (params, { env, actor, db }) => recordUsage({ ...params, source: "log_usage" }, { env, db: db(), actor }),
});
