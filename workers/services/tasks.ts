import type { Ticket, TicketStatus } from "../../durable-objects/capabilities/tickets";
import type { Database } from "../../schema/db";
import type { AgentContext } from "../agents/agent";
import { agents } from "../agents/registry";
import { parseSigningKeys } from "../auth/access-tokens";
import { signDownloadToken, verifyDownloadToken } from "../auth/download-tokens";
import { ROLE_RANK } from "../auth/roles";
import type { RequestActor } from "../context";
import { createLogger } from "../logger";
import { Problem, problems } from "../problems";
import { historicTicket, recordFinishedTicket } from "./ticket-history";
import { assertCanSpend } from "./usage";

export interface TicketView extends Omit<Ticket, "resultJson"> {
  result: unknown;
}

export const ticketView = ({ resultJson, ...rest }: Ticket): TicketView => ({
  ...rest,
  result: resultJson === null ? null : JSON.parse(resultJson),
});

interface Context {
  env: Env;
  actor: RequestActor;
  waitUntil(promise: Promise<unknown>): void;
}

interface StartContext extends Context {
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

interface ReadContext {
  env: Env;
  actor: RequestActor;
  /** Postgres, for tickets the tenant object no longer holds. */
  db?: Database;
}

async function findTicket(env: Env, tenantId: string, id: string, db?: Database): Promise<TicketView> {
  const ticket = await env.TENANT.getByName(tenantId).getTicket(id);
  if (ticket) return ticketView(ticket);
  const historic = db ? await historicTicket(db, tenantId, id) : undefined;
  if (!historic) throw problems.notFound(`No ticket ${id}.`);
  return historic;
}

/**
 * A finished export's result carries a signed download link, minted on each
 * read so the link a caller sees is always fresh (it expires in an hour).
 */
async function withDownloadLink(env: Env, tenantId: string, ticket: TicketView): Promise<TicketView> {
  if (ticket.task !== "entity_export" || ticket.status !== "completed") return ticket;
  const { token, expiresAt } = await signDownloadToken(parseSigningKeys(env.JWT_SIGNING_KEYS), {
    tenantId,
    ticketId: ticket.id,
  });
  const base = env.PUBLIC_BASE_URL.replace(/\/$/, "");
  const downloadUrl = `${base}/api/v1/downloads/exports/${ticket.id}?token=${token}`;
  return { ...ticket, result: { ...(ticket.result as object), downloadUrl, downloadExpiresAt: expiresAt } };
}

export async function getTicket(id: string, { env, actor, db }: ReadContext): Promise<TicketView> {
  return withDownloadLink(env, actor.auth.tenantId, await findTicket(env, actor.auth.tenantId, id, db));
}

export async function listTickets(status: TicketStatus | undefined, { env, actor }: Omit<Context, "waitUntil">) {
  const tickets = await env.TENANT.getByName(actor.auth.tenantId).listTickets(status);
  return Promise.all(tickets.map((t) => withDownloadLink(env, actor.auth.tenantId, ticketView(t))));
}

export async function cancelTicket(id: string, { env, actor }: Omit<Context, "waitUntil">): Promise<TicketView> {
  const ticket = await env.TENANT.getByName(actor.auth.tenantId).cancelTicket(id);
  if (!ticket) throw problems.notFound(`No ticket ${id}.`);
  await recordFinishedTicket(env, actor.auth.tenantId, ticket);
  return ticketView(ticket);
}

/** A failed ticket runs again from the start; anything else answers 409. */
export async function retryTicket(id: string, { env, actor }: Omit<Context, "waitUntil">): Promise<TicketView> {
  const tenant = env.TENANT.getByName(actor.auth.tenantId);
  const current = await tenant.getTicket(id);
  if (!current) throw problems.notFound(`No ticket ${id}.`);
  const retried = await tenant.retryTicket(actor.auth.tenantId, id);
  if (!retried)
    throw problems.conflict("ticket-not-failed", `Ticket ${id} is ${current.status}; only failed tickets are retried.`);
  return ticketView(retried);
}

/** The NDJSON file an `entity_export` ticket produced, for an authenticated caller. */
export async function exportFile(id: string, { env, actor }: Omit<Context, "waitUntil">): Promise<R2ObjectBody> {
  return exportObject(env, actor.auth.tenantId, id);
}

/** The same file for whoever holds a valid signed link to it; the link names tenant and ticket. */
export async function exportFileByLink(id: string, token: string, { env, db }: { env: Env; db: Database }) {
  let granted: { tenantId: string; ticketId: string };
  try {
    granted = await verifyDownloadToken(parseSigningKeys(env.JWT_SIGNING_KEYS), token);
  } catch {
    throw problems.unauthorized("This download link is invalid or has expired; read the ticket again for a fresh one.");
  }
  if (granted.ticketId !== id) throw problems.unauthorized("This download link is for another file.");
  return exportObject(env, granted.tenantId, id, db);
}

async function exportObject(env: Env, tenantId: string, id: string, db?: Database): Promise<R2ObjectBody> {
  const ticket = await findTicket(env, tenantId, id, db);
  const result = ticket.result as { key?: string } | null;
  if (ticket.task !== "entity_export" || ticket.status !== "completed" || !result?.key) {
    throw problems.notFound(`Ticket ${id} has no finished export.`);
  }
  const object = await env.ARCHIVE.get(result.key);
  if (!object) throw problems.notFound(`The export of ticket ${id} is no longer stored.`);
  return object;
}
