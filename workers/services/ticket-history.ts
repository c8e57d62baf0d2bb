import type { Ticket } from "../../durable-objects/capabilities/tickets";
import { type Database, openDatabase } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import { findTicketHistory, upsertTicketHistory } from "../repositories/ticket-history";
import type { TicketView } from "./tasks";

const FINISHED = new Set(["completed", "failed", "cancelled"]);

/** Copies a finished ticket into Postgres; tickets still running are left alone. */
export async function recordFinishedTicket(env: Env, tenantId: string, ticket: Ticket | undefined): Promise<void> {
  if (!ticket || !FINISHED.has(ticket.status)) return;
  const handle = openDatabase(env);
  try {
    await withTenant(handle.db, tenantId, (tx) =>
      upsertTicketHistory(tx, {
        id: ticket.id,
        tenantId,
        task: ticket.task,
        status: ticket.status,
        result: ticket.resultJson === null ? null : JSON.parse(ticket.resultJson),
        error: ticket.error,
        attempts: ticket.attempts,
        createdAt: new Date(ticket.createdAt),
        finishedAt: new Date(ticket.updatedAt),
      }),
    );
  } finally {
    await handle.close();
  }
}

/** A ticket the tenant object no longer holds (past its TTL), from history. */
export async function historicTicket(db: Database, tenantId: string, id: string): Promise<TicketView | undefined> {
  const row = await withTenant(db, tenantId, (tx) => findTicketHistory(tx, id));
  if (!row) return undefined;
  return {
    id: row.id,
    task: row.task,
    status: row.status as TicketView["status"],
    progress: row.status === "completed" ? 100 : 0,
    message: "",
    result: row.result,
    error: row.error,
    attempts: row.attempts,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.finishedAt.toISOString(),
    expiresAt: row.finishedAt.toISOString(),
  };
}
