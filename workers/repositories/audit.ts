import { auditLog } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";
import type { RequestActor } from "../context";

export interface AuditEvent {
  action: string;
  entityType?: string;
  entityId?: string;
  before?: unknown;
  after?: unknown;
}

/** Written inside the same transaction as the change it describes: both land or neither does. */
export async function recordAudit(tx: Transaction, actor: RequestActor, event: AuditEvent): Promise<void> {
  await recordAuditMany(tx, actor, [event]);
}

/**
 * One row per event, a thousand rows a statement (a bulk import audits each
 * record it made): a row binds 15 values, and Postgres takes at most 65,535
 * in one statement.
 */
export async function recordAuditMany(tx: Transaction, actor: RequestActor, events: AuditEvent[]): Promise<void> {
  for (let start = 0; start < events.length; start += AUDIT_ROWS_PER_STATEMENT) {
    await insertAuditRows(tx, actor, events.slice(start, start + AUDIT_ROWS_PER_STATEMENT));
  }
}

const AUDIT_ROWS_PER_STATEMENT = 1_000;

async function insertAuditRows(tx: Transaction, actor: RequestActor, events: AuditEvent[]): Promise<void> {
  await tx.insert(auditLog).values(events.map((event) => auditRow(actor, event)));
}

/** The row an event is audited as: who did it, how they were verified, what changed. */
export function auditRow(actor: RequestActor, event: AuditEvent): typeof auditLog.$inferInsert {
  const { auth } = actor;
  return {
    tenantId: auth.tenantId,
    actorType: { "api-key": "api_key", system: "system", webhook: "webhook", jwt: "user" }[auth.method],
    actorId: auth.apiKeyId ?? auth.userId ?? null,
    requestId: actor.requestId,
    clientRequestId: actor.clientRequestId ?? null,
    action: event.action,
    entityType: event.entityType ?? null,
    entityId: event.entityId ?? null,
    before: event.before ?? null,
    after: event.after ?? null,
    ip: actor.ip,
    authMethod: auth.method,
    authKid: auth.kid ?? null,
    authIssuer: auth.issuer ?? null,
    verifiedAt: auth.verifiedAt,
  };
}
