import { and, arrayOverlaps, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

export async function insertEndpoint(tx: Transaction, row: typeof webhookEndpoints.$inferInsert) {
  const [created] = await tx.insert(webhookEndpoints).values(row).returning();
  if (!created) throw new Error("webhook endpoint insert returned nothing");
  return created;
}

export async function findEndpoint(tx: Transaction, id: string): Promise<WebhookEndpointRow | undefined> {
  const [row] = await tx
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt)));
  return row;
}

export async function listEndpoints(tx: Transaction): Promise<WebhookEndpointRow[]> {
  return tx
    .select()
    .from(webhookEndpoints)
    .where(isNull(webhookEndpoints.deletedAt))
    .orderBy(webhookEndpoints.createdAt);
}

/** Compare-and-set on version; undefined when another write got there first. */
export async function updateEndpointIfVersion(
  tx: Transaction,
  id: string,
  version: number,
  changes: Partial<
    Pick<WebhookEndpointRow, "url" | "description" | "events" | "enabled" | "consecutiveFailures" | "disabledReason">
  > & { deletedAt?: Date },
): Promise<WebhookEndpointRow | undefined> {
  const [row] = await tx
    .update(webhookEndpoints)
    .set({ ...changes, version: sql`${webhookEndpoints.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.version, version)))
    .returning();
  return row;
}

/** The event types any enabled endpoint wants (what the tenant object filters on). */
export async function subscribedEventTypes(tx: Transaction): Promise<string[]> {
  const rows = await tx
    .select({ events: webhookEndpoints.events })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.enabled, true), isNull(webhookEndpoints.deletedAt)));
  return [...new Set(rows.flatMap((r) => r.events))];
}

export async function endpointsFor(tx: Transaction, eventType: string): Promise<WebhookEndpointRow[]> {
  return tx
    .select()
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.enabled, true),
        isNull(webhookEndpoints.deletedAt),
        arrayOverlaps(webhookEndpoints.events, [eventType, "*"]),
      ),
    );
}

/** One delivery per (endpoint, event): a redelivered dispatch message adds nothing. */
export async function insertDeliveries(tx: Transaction, rows: (typeof webhookDeliveries.$inferInsert)[]) {
  if (rows.length === 0) return;
  await tx
    .insert(webhookDeliveries)
    .values(rows)
    .onConflictDoNothing({
      target: [webhookDeliveries.tenantId, webhookDeliveries.endpointId, webhookDeliveries.eventId],
    });
}

export async function pendingDeliveriesOf(tx: Transaction, eventId: string, endpointIds: string[]) {
  if (endpointIds.length === 0) return [];
  return tx
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.eventId, eventId),
        eq(webhookDeliveries.status, "pending"),
        inArray(webhookDeliveries.endpointId, endpointIds),
      ),
    );
}

export async function findDelivery(tx: Transaction, id: string): Promise<WebhookDeliveryRow | undefined> {
  const [row] = await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
  return row;
}

export async function recordAttempt(
  tx: Transaction,
  delivery: WebhookDeliveryRow,
  attempt: Omit<typeof webhookAttempts.$inferInsert, "tenantId" | "deliveryId">,
  status: "pending" | "succeeded" | "failed",
): Promise<void> {
  await tx.insert(webhookAttempts).values({ ...attempt, tenantId: delivery.tenantId, deliveryId: delivery.id });
  await tx
    .update(webhookDeliveries)
    .set({
      status,
      attempts: attempt.attempt,
      lastStatusCode: attempt.statusCode ?? null,
      lastError: attempt.error ?? null,
      updatedAt: sql`now()`,
    })
    .where(eq(webhookDeliveries.id, delivery.id));
}

export async function setEndpointFailures(
  tx: Transaction,
  id: string,
  changes: { consecutiveFailures: number; enabled?: boolean; disabledReason?: string | null },
) {
  const [row] = await tx
    .update(webhookEndpoints)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  return row;
}

export async function listDeliveries(tx: Transaction, endpointId: string, limit: number) {
  const deliveries = await tx
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, endpointId))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit);
  const attempts =
    deliveries.length === 0
      ? []
      : await tx
          .select()
          .from(webhookAttempts)
          .where(
            inArray(
              webhookAttempts.deliveryId,
              deliveries.map((d) => d.id),
            ),
          )
          .orderBy(webhookAttempts.deliveryId, webhookAttempts.attempt);
  return { deliveries, attempts };
}

export async function closeDelivery(tx: Transaction, id: string, status: "failed", lastError: string) {
  await tx
    .update(webhookDeliveries)
    .set({ status, lastError, updatedAt: sql`now()` })
    .where(eq(webhookDeliveries.id, id));
}
