import { taskParams } from "../queue/tasks";
import { defineAgent } from "./agent";

/**
 * The smallest real agent: proves the queue → consumer → tenant object path by
 * recording the run on the tenant's Durable Object.
 */
export const tenantHeartbeat = defineAgent({
  task: "tenant_heartbeat",
  mode: "heavy",
  role: "member",
  params: taskParams.tenant_heartbeat,
  async run(_params, { env, tenantId, runId, log }) {
    const { firstTime } = await env.TENANT.getByName(tenantId).recordAgentRun({
      messageId: runId,
      task: "tenant_heartbeat",
      ranAt: Date.now(),
    });
    log.info("heartbeat recorded", { firstTime });
    return { firstTime };
  },
});
