import { and, asc, count, eq, gt, inArray, isNotNull, isNull, min, sql, sum } from "drizzle-orm";
import { campaignRecipients, contactHistory, entities, optOuts } from "../../schema/tables";
import type { Transaction } from "../../schema/tenant-transaction";

export type RecipientRow = typeof campaignRecipients.$inferSelect;
export type NewRecipient = typeof campaignRecipients.$inferInsert;

/** The delivery statuses in the order Twilio moves through them; a late callback never moves one back. */
export const DELIVERY_ORDER = ["sending", "sent", "delivered", "undelivered", "failed"] as const;

/** Leads of the project in one of `statuses`, with a phone, not deleted: who a campaign may reach. */
export async function audienceCandidates(tx: Transaction, projectId: string, statuses: readonly string[]) {
  return tx
    .select({
      id: entities.id,
      name: entities.name,
      status: entities.status,
      data: entities.data,
      system: entities.system,
      createdAt: entities.createdAt,
    })
    .from(entities)
    .where(
      and(
        eq(entities.projectId, projectId),
        eq(entities.type, "lead"),
        isNull(entities.deletedAt),
        inArray(entities.status, [...statuses]),
        sql`${entities.data}->>'phone' IS NOT NULL`,
      ),
    )
    .orderBy(asc(entities.createdAt), asc(entities.id));
}

/** Numbers among `phones` that a lead still in the pipeline (not won, completed or lost) carries. */
export async function phonesWithOpenLeads(tx: Transaction, projectId: string, phones: string[]): Promise<Set<string>> {
  if (phones.length === 0) return new Set();
  const rows = await tx
    .selectDistinct({ phone: sql<string>`${entities.data}->>'phone'` })
    .from(entities)
    .where(
      and(
        eq(entities.projectId, projectId),
        eq(entities.type, "lead"),
        isNull(entities.deletedAt),
        sql`coalesce(${entities.status}, '') NOT IN ('won', 'completed', 'lost')`,
        sql`${entities.data}->>'phone' = ANY(${sql.param(phones)}::text[])`,
      ),
    );
  return new Set(rows.map((r) => r.phone));
}

export async function optedOutPhones(tx: Transaction, phones: string[]): Promise<Set<string>> {
  if (phones.length === 0) return new Set();
  const rows = await tx
    .select({ phone: optOuts.phone })
    .from(optOuts)
    .where(and(eq(optOuts.optedOut, true), sql`${optOuts.phone} = ANY(${sql.param(phones)}::text[])`));
  return new Set(rows.map((r) => r.phone));
}

export async function textHistoryOf(tx: Transaction, phones: string[]) {
  if (phones.length === 0) return new Map<string, { lastTextAt: Date; lastMarketingAt: Date | null }>();
  const rows = await tx
    .select()
    .from(contactHistory)
    .where(sql`${contactHistory.phone} = ANY(${sql.param(phones)}::text[])`);
  return new Map(rows.map((r) => [r.phone, { lastTextAt: r.lastTextAt, lastMarketingAt: r.lastMarketingAt }]));
}

export async function insertRecipients(tx: Transaction, rows: NewRecipient[]): Promise<void> {
  // Chunks keep each statement under Postgres's bind-parameter limit.
  for (let i = 0; i < rows.length; i += 1_000) {
    await tx
      .insert(campaignRecipients)
      .values(rows.slice(i, i + 1_000))
      .onConflictDoNothing();
  }
}

/**
 * Takes the next recipient due for sending: queued and past its quiet hours,
 * or claimed by a sender that died (`staleBefore`). SKIP LOCKED: two senders
 * never take the same row. `retakenFrom` is the dead sender's claim time:
 * that sender may have sent the text before it died.
 */
export async function claimNextRecipient(
  tx: Transaction,
  campaignId: string,
  now: Date,
  staleBefore: Date,
): Promise<{ row: RecipientRow; retakenFrom: Date | undefined } | undefined> {
  const rows = await tx.execute<{ lead_id: string; status: string; claimed_at: string | null }>(sql`
    SELECT lead_id, status, claimed_at FROM campaign_recipients
    WHERE campaign_id = ${campaignId}
      AND ((status = 'queued' AND (not_before IS NULL OR not_before <= ${now.toISOString()}))
        OR (status = 'sending' AND claimed_at < ${staleBefore.toISOString()}))
    ORDER BY created_at, lead_id
    LIMIT 1
    FOR UPDATE SKIP LOCKED`);
  const found = rows.rows[0];
  if (!found) return undefined;
  const leadId = found.lead_id;
  const [claimed] = await tx
    .update(campaignRecipients)
    .set({ status: "sending", claimedAt: now, updatedAt: now })
    .where(and(eq(campaignRecipients.campaignId, campaignId), eq(campaignRecipients.leadId, leadId)))
    .returning();
  if (!claimed) return undefined;
  const retakenFrom = found.status === "sending" && found.claimed_at ? new Date(found.claimed_at) : undefined;
  return { row: claimed, retakenFrom };
}

/** With `claimedAt`: only while the row is still that sender's claim (`sending`, claimed then). */
export async function updateRecipient(
  tx: Transaction,
  campaignId: string,
  leadId: string,
  patch: Partial<Omit<RecipientRow, "tenantId" | "campaignId" | "leadId" | "createdAt">>,
  claimedAt?: Date,
): Promise<void> {
  await tx
    .update(campaignRecipients)
    .set({ ...patch, updatedAt: new Date() })
    .where(
      and(
        eq(campaignRecipients.campaignId, campaignId),
        eq(campaignRecipients.leadId, leadId),
        claimedAt ? eq(campaignRecipients.status, "sending") : undefined,
        claimedAt ? eq(campaignRecipients.claimedAt, claimedAt) : undefined,
      ),
    );
}

/** Whether the row is still `sending` under this claim (not cancelled, not re-taken by another sender). */
export async function stillClaimed(tx: Transaction, campaignId: string, leadId: string, claimedAt: Date) {
  const [row] = await tx
    .select({ leadId: campaignRecipients.leadId })
    .from(campaignRecipients)
    .where(
      and(
        eq(campaignRecipients.campaignId, campaignId),
        eq(campaignRecipients.leadId, leadId),
        eq(campaignRecipients.status, "sending"),
        eq(campaignRecipients.claimedAt, claimedAt),
      ),
    );
  return row !== undefined;
}

/** Twilio's delivery report for one message, applied only if it moves the recipient forward. */
export async function recordDelivery(
  tx: Transaction,
  messageSid: string,
  status: "sent" | "delivered" | "undelivered" | "failed",
  errorCode: string | undefined,
): Promise<RecipientRow | undefined> {
  const earlier = DELIVERY_ORDER.slice(0, DELIVERY_ORDER.indexOf(status));
  const [row] = await tx
    .update(campaignRecipients)
    .set({ status, ...(errorCode ? { errorCode } : {}), updatedAt: new Date() })
    .where(and(eq(campaignRecipients.messageSid, messageSid), inArray(campaignRecipients.status, [...earlier])))
    .returning();
  return row;
}

/** The recipient a text from `phone` to the project's number most likely answers: the latest one texted since `since`. */
export async function latestRecipientByPhone(tx: Transaction, projectId: string, phone: string, since: Date) {
  const projectCampaigns = tx
    .select({ id: entities.id })
    .from(entities)
    .where(and(eq(entities.projectId, projectId), eq(entities.type, "campaign")));
  const [row] = await tx
    .select()
    .from(campaignRecipients)
    .where(
      and(
        eq(campaignRecipients.phone, phone),
        inArray(campaignRecipients.campaignId, projectCampaigns),
        isNotNull(campaignRecipients.sentAt),
        gt(campaignRecipients.sentAt, since),
      ),
    )
    .orderBy(sql`${campaignRecipients.sentAt} DESC`)
    .limit(1);
  return row;
}

/** A number that said STOP: every campaign's unsent row for it is refused at once, and texted rows marked. */
export async function stopPhone(tx: Transaction, phone: string, at: Date): Promise<number> {
  const refused = await tx
    .update(campaignRecipients)
    .set({ status: "refused", reason: "opted-out", detail: `${phone} replied STOP.`, updatedAt: at })
    .where(and(eq(campaignRecipients.phone, phone), inArray(campaignRecipients.status, ["queued", "sending"])))
    .returning({ leadId: campaignRecipients.leadId });
  await tx
    .update(campaignRecipients)
    .set({ optedOutAt: at, updatedAt: at })
    .where(
      and(
        eq(campaignRecipients.phone, phone),
        isNotNull(campaignRecipients.sentAt),
        isNull(campaignRecipients.optedOutAt),
      ),
    );
  return refused.length;
}

export interface RecipientCounts {
  byStatus: Record<string, number>;
  byReason: Record<string, number>;
  replied: number;
  optedOut: number;
  segments: number;
  total: number;
}

export async function recipientCounts(tx: Transaction, campaignId: string): Promise<RecipientCounts> {
  const statusRows = await tx
    .select({ status: campaignRecipients.status, reason: campaignRecipients.reason, n: count() })
    .from(campaignRecipients)
    .where(eq(campaignRecipients.campaignId, campaignId))
    .groupBy(campaignRecipients.status, campaignRecipients.reason);
  const [marks] = await tx
    .select({
      replied: count(campaignRecipients.repliedAt),
      optedOut: count(campaignRecipients.optedOutAt),
      segments: sum(campaignRecipients.segments),
    })
    .from(campaignRecipients)
    .where(and(eq(campaignRecipients.campaignId, campaignId), isNotNull(campaignRecipients.sentAt)));
  const byStatus: Record<string, number> = {};
  const byReason: Record<string, number> = {};
  let total = 0;
  for (const row of statusRows) {
    byStatus[row.status] = (byStatus[row.status] ?? 0) + row.n;
    if (row.reason && (row.status === "excluded" || row.status === "refused" || row.status === "queued")) {
      byReason[row.reason] = (byReason[row.reason] ?? 0) + row.n;
    }
    total += row.n;
  }
  return {
    byStatus,
    byReason,
    replied: marks?.replied ?? 0,
    optedOut: marks?.optedOut ?? 0,
    segments: Number(marks?.segments ?? 0),
    total,
  };
}

/** Texts this campaign sent since `since` (its daily limit). */
export async function sentSince(tx: Transaction, campaignId: string, since: Date): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(campaignRecipients)
    .where(and(eq(campaignRecipients.campaignId, campaignId), gt(campaignRecipients.sentAt, since)));
  return row?.n ?? 0;
}

/** What is left to do: rows still queued or being sent, and the earliest a held one may go. */
export async function remainingWork(tx: Transaction, campaignId: string) {
  const [row] = await tx
    .select({
      open: count(),
      earliest: min(sql<Date>`coalesce(${campaignRecipients.notBefore}, ${campaignRecipients.createdAt})`),
    })
    .from(campaignRecipients)
    .where(
      and(eq(campaignRecipients.campaignId, campaignId), inArray(campaignRecipients.status, ["queued", "sending"])),
    );
  return { open: row?.open ?? 0, earliest: row?.earliest ? new Date(row.earliest) : undefined };
}

export async function listRecipients(
  tx: Transaction,
  campaignId: string,
  options: { status?: string | undefined; limit: number; after?: string | undefined },
) {
  return tx
    .select()
    .from(campaignRecipients)
    .where(
      and(
        eq(campaignRecipients.campaignId, campaignId),
        options.status ? eq(campaignRecipients.status, options.status) : undefined,
        options.after ? gt(campaignRecipients.leadId, options.after) : undefined,
      ),
    )
    .orderBy(asc(campaignRecipients.leadId))
    .limit(options.limit);
}

export async function cancelUnsent(tx: Transaction, campaignId: string): Promise<void> {
  await tx
    .update(campaignRecipients)
    .set({ status: "cancelled", updatedAt: new Date() })
    .where(
      and(eq(campaignRecipients.campaignId, campaignId), inArray(campaignRecipients.status, ["queued", "sending"])),
    );
}
