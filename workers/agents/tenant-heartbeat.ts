import { z } from "zod";
import { defineAgent } from "./agent";

/**
 * The smallest real agent: proves the queue → consumer → tenant object path by
 * recording the run on the tenant's Durable Object.
 */
export const tenantHeartbeat = defineAgent({
  task: "tenant_heartbeat",
  params: z.object({}).strict(),
  async run(_params, { env, tenantId, messageId, log }) {
    const { firstTime } = await env.TENANT.getByName(tenantId).recordAgentRun({
      messageId,
      task: "tenant_heartbeat",
      ranAt: Date.now(),
    });
    log.info("heartbeat recorded", { firstTime });
  },
});
