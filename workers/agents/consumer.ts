import { openDatabase } from "../../schema/db";
import { systemActor } from "../context";
import { createLogger, describeError } from "../logger";
import { Problem } from "../problems";
import { agentMessage } from "../queue/agent-message";
import { recordFinishedTicket } from "../services/ticket-history";
import type { AgentContext } from "./agent";
import { agents } from "./registry";

/**
 * The AGENTS queue consumer. A message that can never succeed (bad envelope,
 * unknown task, invalid params) fails its ticket and is acknowledged rather
 * than retried. A failure while running is retried with exponential backoff;
 * after the queue's max_retries the message moves to the dead-letter queue,
 * whose consumer fails the ticket with the last error. A copy of a message
 * whose ticket another runner holds under a live lease does not run: it is
 * retried once the lease would have run out, when a dead runner's ticket is
 * taken over and a finished one is dropped.
 */
export async function consumeAgentBatch(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  for (const message of batch.messages) {
    const log = createLogger({ queue: batch.queue, messageId: message.id, attempt: message.attempts });
    const envelope = agentMessage.safeParse(message.body);
    if (!envelope.success) {
      log.error("agent message rejected", { issues: envelope.error.issues });
      message.ack();
      continue;
    }
    const { task, tenantId, ticketId } = envelope.data;
    const tenant = env.TENANT.getByName(tenantId);
    let params = envelope.data.params;
    if (ticketId) {
      const started = await tenant.startTicket(ticketId);
      if (started.outcome === "gone") {
        log.info("ticket not runnable (finished or cancelled); dropping message", { ticketId });
        message.ack();
        continue;
      }
      if (started.outcome === "busy") {
        const delaySeconds = Math.ceil(started.leaseEndsInMs / 1000) + 1;
        log.info("ticket running elsewhere under a live lease; retrying after it", { ticketId, delaySeconds });
        message.retry({ delaySeconds });
        continue;
      }
      params = JSON.parse(started.paramsJson);
    }
    const agent = agents.get(task);
    const parsed = agent?.params.safeParse(params);
    if (!agent || !parsed?.success) {
      const reason = agent ? `invalid params: ${parsed?.error?.message}` : `unknown task ${task}`;
      log.error("agent message cannot run", { task, reason });
      if (ticketId) await recordFinishedTicket(env, tenantId, await tenant.failTicket(ticketId, reason));
      message.ack();
      continue;
    }
    let database: ReturnType<typeof openDatabase> | undefined;
    const context: AgentContext = {
      env,
      tenantId,
      actor: systemActor(tenantId, task),
      db: () => {
        database ??= openDatabase(env);
        return database.db;
      },
      runId: ticketId ?? message.id,
      ...(ticketId ? { ticketId } : {}),
      log: log.with({ task, tenantId, ticketId }),
      reportProgress: async (progress, text) => {
        if (ticketId) await tenant.reportProgress(ticketId, progress, text);
      },
      waitUntil: (promise) => ctx.waitUntil(promise),
    };
    try {
      const result = await agent.run(parsed.data, context);
      if (ticketId) {
        const finished = await tenant.completeTicket(ticketId, JSON.stringify(result ?? null));
        await recordFinishedTicket(env, tenantId, finished);
      }
      message.ack();
    } catch (error) {
      const text = describeError(error);
      if (error instanceof Problem && error.status < 500) {
        // Refused, not broken (a paused project, a missing record): retrying cannot help.
        log.warn("agent refused; not retrying", { task, tenantId, problem: error.code, detail: text });
        if (ticketId) await recordFinishedTicket(env, tenantId, await tenant.failTicket(ticketId, text));
        message.ack();
        continue;
      }
      const base = Number(env.AGENT_RETRY_BASE_SECONDS ?? "2");
      const delaySeconds = retryDelaySeconds(base, message.attempts);
      log.error("agent failed; will retry", { task, tenantId, error: text, delaySeconds });
      if (ticketId) await tenant.releaseTicket(ticketId, `attempt ${message.attempts} failed: ${text}`);
      message.retry({ delaySeconds });
    } finally {
      if (database) ctx.waitUntil(database.close());
    }
  }
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
