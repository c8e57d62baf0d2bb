import { createLogger } from "../logger";
import { agentMessage } from "../queue/agent-message";
import { recordFinishedTicket } from "../services/ticket-history";
import { runTicket } from "./run-ticket";

/**
 * The AGENTS queue consumer. A message that can never succeed (bad envelope,
 * unknown task, invalid params) fails its ticket and is acknowledged rather
 * than retried. A failure while running is retried with exponential backoff;
 * after the queue's max_retries the message moves to the dead-letter queue,
 * whose consumer fails the ticket with the last error. A copy of a message
 * whose ticket another runner holds under a live lease does not run: it is
 * retried once the lease would have run out, when a dead runner's ticket is
 * taken over and a finished one is dropped.
 *
 * Fairness on the bulk lane: a batch's messages run one after another
 * within a tenant, but tenants side by side, so one tenant's long work (a
 * campaign's sending stretch, a 5,000-lead export) never holds up another
 * tenant's message that arrived in the same batch. A message that arrives
 * after the batch waits for it to return, so bulk runs are kept short: a
 * campaign sends in 10 s stretches (campaigns/sender.ts;
 * test/bulk-lane-fairness.test.ts).
 */
export async function consumeAgentBatch(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const byTenant = new Map<string, Message<unknown>[]>();
  for (const message of batch.messages) {
    const tenantId = String((message.body as { tenantId?: unknown } | null)?.tenantId ?? "");
    byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), message]);
  }
  await Promise.all(
    [...byTenant.values()].map(async (messages) => {
      for (const message of messages) await consumeOne(message, batch.queue, env, ctx);
    }),
  );
}

async function consumeOne(message: Message<unknown>, queue: string, env: Env, ctx: ExecutionContext): Promise<void> {
  const log = createLogger({ queue, messageId: message.id, attempt: message.attempts });
  const envelope = agentMessage.safeParse(message.body);
  if (!envelope.success) {
    log.error("agent message rejected", { issues: envelope.error.issues });
    message.ack();
    return;
  }
  const { task, tenantId, ticketId } = envelope.data;
  const tenant = env.TENANT.getByName(tenantId);
  let params = envelope.data.params;
  if (ticketId) {
    const started = await tenant.startTicket(ticketId);
    if (started.outcome === "gone") {
      log.info("ticket not runnable (finished or cancelled); dropping message", { ticketId });
      message.ack();
      return;
    }
    if (started.outcome === "busy") {
      const delaySeconds = Math.ceil(started.leaseEndsInMs / 1000) + 1;
      log.info("ticket running elsewhere under a live lease; retrying after it", { ticketId, delaySeconds });
      message.retry({ delaySeconds });
      return;
    }
    params = JSON.parse(started.paramsJson);
  }
  const outcome = await runTicket(
    env,
    {
      task,
      tenantId,
      ...(ticketId ? { ticketId } : {}),
      params,
      runId: ticketId ?? message.id,
      attempt: message.attempts,
      log,
    },
    (promise) => ctx.waitUntil(promise),
  );
  if (outcome === "done") {
    message.ack();
    return;
  }
  const delaySeconds = retryDelaySeconds(Number(env.AGENT_RETRY_BASE_SECONDS ?? "2"), message.attempts);
  log.info("retrying", { task, tenantId, delaySeconds });
  message.retry({ delaySeconds });
}

/** Exponential backoff: base, 2×base, 4×base … capped at five minutes. */
export function retryDelaySeconds(baseSeconds: number, attempt: number): number {
  return Math.min(baseSeconds * 2 ** Math.max(0, attempt - 1), 300);
}

/** Dead-lettered messages: the ticket fails with the last error the agent reported. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const log = createLogger({ queue: batch.queue });
  for (const message of batch.messages) {
    const envelope = agentMessage.safeParse(message.body);
    log.error("agent message dead-lettered", { messageId: message.id, body: message.body });
    if (envelope.success && envelope.data.ticketId) {
      const tenant = env.TENANT.getByName(envelope.data.tenantId);
      const current = await tenant.getTicket(envelope.data.ticketId);
      const failed = await tenant.failTicket(
        envelope.data.ticketId,
        `gave up after ${current?.attempts ?? "several"} attempts; last: ${current?.message || "no error recorded"}`,
      );
      await recordFinishedTicket(env, envelope.data.tenantId, failed);
    }
    message.ack();
  }
}
