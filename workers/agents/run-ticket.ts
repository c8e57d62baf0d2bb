import { type Database, openDatabase } from "../../schema/db";
import { systemActor } from "../context";
import { describeError, type Logger } from "../logger";
import { OutboundStatusError } from "../outbound/fetch";
import { Problem } from "../problems";
import { laneOf } from "../queue/tasks";
import { recordFinishedTicket } from "../services/ticket-history";
import type { AgentContext } from "./agent";
import { agents } from "./registry";

export interface TicketRun {
  task: string;
  tenantId: string;
  /** Absent for a bare queue message: nothing to report to. */
  ticketId?: string;
  params: unknown;
  /** Stable across retries: the base of the run's idempotency keys. */
  runId: string;
  /** Which attempt this is, for the failure message kept on the ticket. */
  attempt: number;
  log: Logger;
  /** A connection the caller keeps open for the run (the intake request's own); else the run opens one. */
  db?: () => Database;
}

/** `retry`: the run failed in a way another attempt may fix, and the ticket was released for it. */
export type TicketRunOutcome = "done" | "retry";

/**
 * One run of an agent for a started ticket (or a bare message), and the
 * ticket's ending: completed; failed when the task cannot run or the agent
 * refused (a 4xx: retrying cannot help); released for another attempt when it
 * broke. Both runners use it: the queue consumer, and a request that runs the
 * ticket it just made (intake's bridge, decision 025).
 */
export async function runTicket(
  env: Env,
  run: TicketRun,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<TicketRunOutcome> {
  const { task, tenantId, ticketId, log } = run;
  const tenant = env.TENANT.getByName(tenantId);
  const agent = agents.get(task);
  const parsed = agent?.params.safeParse(run.params);
  if (!agent || !parsed?.success) {
    const reason = agent ? `invalid params: ${parsed?.error?.message}` : `unknown task ${task}`;
    log.error("agent message cannot run", { task, reason });
    if (ticketId) await recordFinishedTicket(env, tenantId, await tenant.failTicket(ticketId, reason));
    return "done";
  }
  let database: ReturnType<typeof openDatabase> | undefined;
  const context: AgentContext = {
    env,
    tenantId,
    actor: systemActor(tenantId, task),
    db:
      run.db ??
      (() => {
        database ??= openDatabase(env, laneOf(task));
        return database.db;
      }),
    runId: run.runId,
    ...(ticketId ? { ticketId } : {}),
    log: log.with({ task, tenantId, ticketId }),
    reportProgress: async (progress, text) =>
      ticketId ? (await tenant.reportProgress(ticketId, progress, text)) !== undefined : true,
    waitUntil,
  };
  try {
    const result = await agent.run(parsed.data, context);
    if (ticketId) {
      const finished = await tenant.completeTicket(ticketId, JSON.stringify(result ?? null));
      await recordFinishedTicket(env, tenantId, finished);
    }
    return "done";
  } catch (error) {
    const text = describeError(error);
    if (refused(error)) {
      // Refused, not broken (a paused project, a missing record, an outside service's 4xx): retrying cannot help.
      log.warn("agent refused; not retrying", { task, tenantId, problem: refusalCode(error), detail: text });
      if (ticketId) await recordFinishedTicket(env, tenantId, await tenant.failTicket(ticketId, text));
      return "done";
    }
    log.error("agent failed; will retry", { task, tenantId, error: text });
    if (ticketId) await tenant.releaseTicket(ticketId, `attempt ${run.attempt} failed: ${text}`);
    return "retry";
  } finally {
    if (database) waitUntil(database.close());
  }
}

/**
 * A ticket its maker got back already started (intake's bridge), run after
 * the request's answer: no queue stands between a lead and the owner's phone.
 * If the run breaks, runTicket releases the ticket and the tenant object's
 * outbox hands it to the queue; if even that cannot be said, the ticket's
 * short lease runs out and the outbox does the same (tickets.ts).
 */
export async function runStartedTicket(
  env: Env,
  started: { tenantId: string; ticketId: string; task: string; paramsJson: string },
  log: Logger,
  waitUntil: (promise: Promise<unknown>) => void,
  db?: () => Database,
): Promise<void> {
  try {
    await runTicket(
      env,
      {
        task: started.task,
        tenantId: started.tenantId,
        ticketId: started.ticketId,
        params: JSON.parse(started.paramsJson),
        runId: started.ticketId,
        attempt: 1,
        log: log.with({ runner: "maker" }),
        ...(db ? { db } : {}),
      },
      waitUntil,
    );
  } catch (error) {
    log.error("a started ticket's run broke; the queue takes it over", {
      ticketId: started.ticketId,
      error: String(error),
    });
  }
}

const refusalCode = (error: unknown) => (error instanceof Problem ? error.code : "outside-service-refused");

/** A refusal: ours (a Problem under 500) or an outside service's 4xx other than "too soon" (408, 429). */
function refused(error: unknown): boolean {
  if (error instanceof Problem) return error.status < 500;
  return (
    error instanceof OutboundStatusError &&
    error.status >= 400 &&
    error.status < 500 &&
    ![408, 429].includes(error.status)
  );
}
