import { ROLE_RANK } from "../auth/roles";
import { createLogger } from "../logger";
import { Problem, problems, zodFieldErrors } from "../problems";
import type { ServiceContext } from "../service-context";
import { requireSpend } from "../services/spend-gate";
import { type TicketView, ticketView } from "../services/tasks";
import type { AgentContext } from "./agent";
import { agents } from "./registry";

type TaskOutcome = { kind: "instant"; result: unknown } | { kind: "ticket"; ticket: TicketView };

/**
 * Starts a task: an instant one runs now and its result is the answer; a
 * heavy one becomes a ticket in the tenant's object and runs from the queue.
 */
export async function startTask(
  task: string,
  params: unknown,
  {
    env,
    actor,
    waitUntil,
    db,
  }: Pick<ServiceContext, "env" | "actor" | "db"> & {
    waitUntil(promise: Promise<unknown>): void;
  },
): Promise<TaskOutcome> {
  const agent = agents.get(task);
  if (!agent || agent.internal) throw problems.notFound(`No task named ${task}.`);
  if (ROLE_RANK[actor.auth.role] < ROLE_RANK[agent.role]) {
    throw new Problem({
      status: 403,
      code: "forbidden",
      title: "Forbidden",
      detail: `${task} needs the ${agent.role} role.`,
    });
  }
  const parsed = agent.params.safeParse(params ?? {});
  if (!parsed.success) {
    throw problems.validation(zodFieldErrors(parsed.error.issues, "params"));
  }
  if (agent.check) await agent.check(parsed.data, { db, actor });
  if (agent.spends) {
    const { projectId, kind } = agent.spends(parsed.data);
    await requireSpend(projectId, kind, { env, db, actor });
  }
  if (agent.mode === "instant") {
    const context: AgentContext = {
      env,
      tenantId: actor.auth.tenantId,
      actor,
      db: () => db,
      runId: actor.requestId,
      log: createLogger({ task, tenantId: actor.auth.tenantId, requestId: actor.requestId }),
      reportProgress: async () => true,
      waitUntil,
    };
    return { kind: "instant", result: await agent.run(parsed.data, context) };
  }
  const ticket = await env.TENANT.getByName(actor.auth.tenantId).createTicket(
    actor.auth.tenantId,
    task,
    parsed.data,
    undefined,
    undefined,
    agent.runsAlone?.(parsed.data),
  );
  return { kind: "ticket", ticket: ticketView(ticket) };
}
