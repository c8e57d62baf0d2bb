import { createLogger } from "../logger";
import { agentMessage } from "./envelope";
import { agents } from "./registry";

/**
 * The AGENTS queue consumer. A message that can never succeed (bad envelope,
 * unknown task, invalid params) is acknowledged and logged rather than
 * retried into the dead-letter queue; a failure while running is retried with
 * exponential backoff and dead-letters after the queue's max_retries.
 */
export async function consumeAgentBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const log = createLogger({ queue: batch.queue, messageId: message.id, attempt: message.attempts });
    const envelope = agentMessage.safeParse(message.body);
    if (!envelope.success) {
      log.error("agent message rejected", { issues: envelope.error.issues });
      message.ack();
      continue;
    }
    const { task, tenantId, params } = envelope.data;
    const agent = agents.get(task);
    const parsed = agent?.params.safeParse(params);
    if (!agent || !parsed?.success) {
      log.error("agent message cannot run", { task, reason: agent ? "invalid params" : "unknown task" });
      message.ack();
      continue;
    }
    try {
      await agent.run(parsed.data, { env, tenantId, messageId: message.id, log: log.with({ task, tenantId }) });
      message.ack();
    } catch (error) {
      const delaySeconds = Math.min(2 ** message.attempts, 300);
      log.error("agent failed; will retry", { task, tenantId, error: String(error), delaySeconds });
      message.retry({ delaySeconds });
    }
  }
}

/** Dead-lettered messages: logged here; the tickets issue records them on the ticket. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>): Promise<void> {
  const log = createLogger({ queue: batch.queue });
  for (const message of batch.messages) {
    log.error("agent message dead-lettered", { messageId: message.id, attempts: message.attempts, body: message.body });
    message.ack();
  }
}
