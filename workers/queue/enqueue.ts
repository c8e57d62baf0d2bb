import { type AgentMessage, agentMessage } from "./agent-message";
import { laneOf, type TaskName, type TaskParams, taskParams } from "./tasks";

/**
 * The one way work reaches the agents' queues (AGENTS, the urgent lane; AGENTS_BULK, the bulk lane). The task name and its params are
 * checked by the compiler at the call site and by zod before sending, so a
 * bad message fails where it is made, not later in the dead-letter queue.
 *
 * - `enqueue(env, tenantId, task, params)`: a bare message (Twilio follow-ups,
 *   webhook fan-out), optionally delayed.
 * - `enqueue(…, { ticket: true })`: through the tenant object, which stores a
 *   ticket (progress, retries, the outbox its alarm repairs) and then sends.
 */
export async function enqueue<T extends TaskName>(
  env: Pick<Env, "AGENTS" | "AGENTS_BULK" | "TENANT">,
  tenantId: string,
  task: T,
  params: TaskParams<T>,
  options: { ticket?: boolean; delaySeconds?: number } = {},
): Promise<{ ticketId?: string }> {
  const checked = taskParams[task].parse(params);
  if (options.ticket) {
    const ticket = await env.TENANT.getByName(tenantId).createTicket(tenantId, task, checked);
    return { ticketId: ticket.id };
  }
  await sendAgentMessages(env, [{ task, tenantId, params: checked }], options);
  return {};
}

/** Many bare messages of one task in one queue call. */
export async function enqueueMany<T extends TaskName>(
  env: Pick<Env, "AGENTS" | "AGENTS_BULK">,
  tenantId: string,
  task: T,
  paramsList: TaskParams<T>[],
): Promise<void> {
  const checked = paramsList.map((params) => ({ task, tenantId, params: taskParams[task].parse(params) }));
  await sendAgentMessages(env, checked);
}

/**
 * The only call to the queue bindings in the codebase: each message goes to
 * its task's lane (queue/tasks.ts TASK_LANES). The tenant object uses it
 * directly for the tickets it already stored (their params were checked when
 * the ticket was made).
 */
export async function sendAgentMessages(
  env: Pick<Env, "AGENTS" | "AGENTS_BULK">,
  messages: Omit<AgentMessage, "enqueuedAt">[],
  options: { delaySeconds?: number } = {},
): Promise<void> {
  const bodies = messages.map((message) => agentMessage.parse({ ...message, enqueuedAt: Date.now() }));
  for (const lane of ["urgent", "bulk"] as const) {
    const queue = lane === "urgent" ? env.AGENTS : env.AGENTS_BULK;
    const inLane = bodies.filter((body) => laneOf(body.task) === lane);
    if (inLane.length === 1) {
      await queue.send(inLane[0], options.delaySeconds ? { delaySeconds: options.delaySeconds } : {});
      continue;
    }
    // A batch holds at most 100 messages.
    for (let start = 0; start < inLane.length; start += 100) {
      await queue.sendBatch(
        inLane
          .slice(start, start + 100)
          .map((body) => ({ body, ...(options.delaySeconds ? { delaySeconds: options.delaySeconds } : {}) })),
      );
    }
  }
}
