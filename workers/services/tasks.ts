import type { Ticket, TicketStatus } from "../../durable-objects/capabilities/tickets";
import type { Database } from "../../schema/db";
import { parseSigningKeys } from "../auth/access-tokens";
import { signDownloadToken, verifyDownloadToken } from "../auth/download-tokens";
import { parseId } from "../auth/inputs";
import { ROLE_RANK } from "../auth/roles";
import type { RequestActor, Role } from "../context";
import { problems } from "../problems";
import type { ServiceContext } from "../service-context";
import { getTenantObject, objectKeys } from "../storage/object-keys";
import { historicTicket, recordFinishedTicket } from "./ticket-history";

export interface TicketView extends Omit<Ticket, "resultJson"> {
  result: unknown;
}

export const ticketView = ({ resultJson, ...rest }: Ticket): TicketView => ({
  ...rest,
  result: resultJson === null ? null : JSON.parse(resultJson),
});

/** Who may export a tenant's entities (the entity_export agent's role) and so download an export. */
export const EXPORT_ROLE: Role = "admin";

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
 * The link needs no credentials, so it is minted only for a caller who may
 * run the export itself (and download it with credentials): anyone else
 * reading the ticket sees that it finished, not a way to fetch it.
 */
async function withDownloadLink(env: Env, actor: RequestActor, ticket: TicketView): Promise<TicketView> {
  if (ticket.task !== "entity_export" || ticket.status !== "completed") return ticket;
  if (ROLE_RANK[actor.auth.role] < ROLE_RANK[EXPORT_ROLE]) return ticket;
  const { token, expiresAt } = await signDownloadToken(parseSigningKeys(env.JWT_SIGNING_KEYS), {
    tenantId: actor.auth.tenantId,
    ticketId: ticket.id,
  });
  const base = env.PUBLIC_BASE_URL.replace(/\/$/, "");
  const downloadUrl = `${base}/api/v1/downloads/exports/${ticket.id}?token=${token}`;
  return { ...ticket, result: { ...(ticket.result as object), downloadUrl, downloadExpiresAt: expiresAt } };
}

/** Postgres, when given, finds tickets the tenant object no longer holds. */
export async function getTicket(
  idInput: unknown,
  { env, actor, db }: Pick<ServiceContext, "env" | "actor"> & Partial<Pick<ServiceContext, "db">>,
): Promise<TicketView> {
  const id = parseId(idInput, "id");
  return withDownloadLink(env, actor, await findTicket(env, actor.auth.tenantId, id, db));
}

export async function listTickets(
  status: TicketStatus | undefined,
  { env, actor }: Pick<ServiceContext, "env" | "actor">,
) {
  const tickets = await env.TENANT.getByName(actor.auth.tenantId).listTickets(status);
  return Promise.all(tickets.map((t) => withDownloadLink(env, actor, ticketView(t))));
}

export async function cancelTicket(
  idInput: unknown,
  { env, actor }: Pick<ServiceContext, "env" | "actor">,
): Promise<TicketView> {
  const id = parseId(idInput, "id");
  const ticket = await env.TENANT.getByName(actor.auth.tenantId).cancelTicket(id);
  if (!ticket) throw problems.notFound(`No ticket ${id}.`);
  await recordFinishedTicket(env, actor.auth.tenantId, ticket);
  return ticketView(ticket);
}

/** A failed ticket runs again from the start; anything else answers 409. */
export async function retryTicket(
  idInput: unknown,
  { env, actor }: Pick<ServiceContext, "env" | "actor">,
): Promise<TicketView> {
  const id = parseId(idInput, "id");
  const tenant = env.TENANT.getByName(actor.auth.tenantId);
  const current = await tenant.getTicket(id);
  if (!current) throw problems.notFound(`No ticket ${id}.`);
  const retried = await tenant.retryTicket(actor.auth.tenantId, id);
  if (!retried)
    throw problems.conflict("ticket-not-failed", `Ticket ${id} is ${current.status}; only failed tickets are retried.`);
  return ticketView(retried);
}

/** The NDJSON file an `entity_export` ticket produced, for an authenticated caller. */
export async function exportFile(
  id: string,
  { env, actor }: Pick<ServiceContext, "env" | "actor">,
): Promise<R2ObjectBody> {
  return exportObject(env, actor.auth.tenantId, id);
}

/** The same file for whoever holds a valid signed link to it; the link names tenant and ticket. */
export async function exportFileByLink(id: string, token: string, { env, db }: Pick<ServiceContext, "env" | "db">) {
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
  if (ticket.task !== "entity_export" || ticket.status !== "completed") {
    throw problems.notFound(`Ticket ${id} has no finished export.`);
  }
  // The key is derived from tenant and ticket, never read back from the ticket's result.
  const object = await getTenantObject(env.ARCHIVE, tenantId, objectKeys.export(tenantId, id));
  if (!object) throw problems.notFound(`The export of ticket ${id} is no longer stored.`);
  return object;
}
