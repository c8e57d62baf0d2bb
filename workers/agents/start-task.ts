import type { Database } from "../../schema/db";
import { ROLE_RANK } from "../auth/roles";
import type { RequestActor } from "../context";
import { createLogger } from "../logger";
import { Problem, problems } from "../problems";
import { type TicketView, ticketView } from "../services/tasks";
import { assertCanSpend } from "../services/usage";
import type { AgentContext } from "./agent";
import { agents } from "./registry";

interface StartContext {
  env: Env;
  actor: RequestActor;
  waitUntil(promise: Promise<unknown>): void;
  db: Database;
}

export type TaskOutcome = { kind: "instant"; result: unknown } | { kind: "ticket"; ticket: TicketView };

/**
 * Starts a task: an instant one runs now and its result is the answer; a
 * heavy one becomes a ticket in the tenant's object and runs from the queue.
 */
export async function startTask(
  task: string,
  params: unknown,
  { env, actor, waitUntil, db }: StartContext,
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
    throw problems.validation(
      parsed.error.issues.map((i) => ({ field: ["params", ...i.path.map(String)].join("."), message: i.message })),
    );
  }
  if (agent.spends) await assertCanSpend(agent.spends(parsed.data), { env, db, actor });
  if (agent.mode === "instant") {
    const context: AgentContext = {
      env,
      tenantId: actor.auth.tenantId,
      actor,
      db: () => db,
      runId: actor.requestId,
      log: createLogger({ task, tenantId: actor.auth.tenantId, requestId: actor.requestId }),
      reportProgress: async () => undefined,
      waitUntil,
    };
    return { kind: "instant", result: await agent.run(parsed.data, context) };
  }
  const ticket = await env.TENANT.getByName(actor.auth.tenantId).createTicket(actor.auth.tenantId, task, parsed.data);
  return { kind: "ticket", ticket: ticketView(ticket) };
}
