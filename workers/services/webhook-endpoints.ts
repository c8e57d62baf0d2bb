import { WEBHOOK_EVENT_TYPES } from "../../durable-objects/capabilities/webhook-outbox";
import { withTenant } from "../../schema/tenant-transaction";
import { assertOutboundUrl } from "../outbound/url-policy";
import { problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import {
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  subscribedEventTypes,
  updateEndpointIfVersion,
  type WebhookEndpointRow,
} from "../repositories/webhooks";
import type { ServiceContext } from "../service-context";
import { newSecret } from "../webhooks/standard-signature";
import { earlierEffect, recordEffect } from "./idempotent-effects";

/**
 * The tenant's webhook endpoints, as its admins manage them: register, edit,
 * enable or disable, remove. Delivering events to them is webhook-delivery.ts.
 */
export const SUBSCRIBABLE_EVENTS = ["*", ...WEBHOOK_EVENT_TYPES] as const;

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  consecutiveFailures: number;
  disabledReason: string | null;
  /** The secret's last four characters; the secret itself is shown once, at creation. */
  secretHint: string;
  /** "legacy+standard": created before Standard Webhooks, so it also gets the deprecated Apex-Signature (decision 020). */
  signatureScheme: WebhookEndpointRow["signatureScheme"];
  version: number;
  createdAt: string;
  updatedAt: string;
}

const toEndpoint = (row: WebhookEndpointRow): WebhookEndpoint => ({
  id: row.id,
  url: row.url,
  description: row.description,
  events: row.events,
  enabled: row.enabled,
  consecutiveFailures: row.consecutiveFailures,
  disabledReason: row.disabledReason,
  secretHint: `whsec_…${row.secret.slice(-4)}`,
  signatureScheme: row.signatureScheme,
  version: row.version,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/** Not found and not yours are the same answer. */
export const endpointNotFound = (id: string) => problems.notFound(`No webhook endpoint ${id}.`);

const checkUrl = (url: string, env: Env) => assertOutboundUrl(url, { appEnv: env.APP_ENV, field: "url" });

/**
 * The tenant object delivers only what some enabled endpoint wants. Postgres
 * and the object cannot change in one step, so an endpoint change first adds
 * its types to the object's list (before its transaction commits), then sets
 * the list exactly after. Whatever fails in between leaves the list wider,
 * never narrower: the endpoint misses nothing, and a dispatch that finds no
 * endpoint for its type resyncs the list (webhook-delivery.ts).
 */
async function widenSubscriptions(env: Env, tenantId: string, endpoint: WebhookEndpointRow): Promise<void> {
  if (endpoint.enabled) await env.TENANT.getByName(tenantId).addWebhookSubscriptions(tenantId, endpoint.events);
}

/** Sets the tenant object's list to exactly what the enabled endpoints want; after every change. */
export async function syncSubscriptions({
  env,
  db,
  actor,
}: Pick<ServiceContext, "env" | "db" | "actor">): Promise<void> {
  const types = await withTenant(db, actor.auth.tenantId, (tx) => subscribedEventTypes(tx));
  await env.TENANT.getByName(actor.auth.tenantId).setWebhookSubscriptions(actor.auth.tenantId, types);
}

export async function createWebhookEndpoint(
  input: { url: string; description?: string | undefined; events: string[] },
  context: Pick<ServiceContext, "env" | "db" | "actor" | "idempotency">,
): Promise<WebhookEndpoint & { secret: string }> {
  checkUrl(input.url, context.env);
  const secret = newSecret();
  const tenantId = context.actor.auth.tenantId;
  const created = await withTenant(context.db, tenantId, async (tx) => {
    // Kept with its secret in the clear: the endpoint row itself holds it so deliveries can be signed.
    const earlier = await earlierEffect<WebhookEndpoint & { secret: string }>(tx, context.idempotency);
    if (earlier) return earlier;
    const row = await insertEndpoint(tx, {
      tenantId: context.actor.auth.tenantId,
      url: input.url,
      description: input.description ?? "",
      events: [...new Set(input.events)],
      secret,
      signatureScheme: "standard",
    });
    await widenSubscriptions(context.env, tenantId, row);
    await recordAudit(tx, context.actor, {
      action: "webhook_endpoint.create",
      entityType: "webhook_endpoint",
      entityId: row.id,
      after: toEndpoint(row),
    });
    const endpoint = { ...toEndpoint(row), secret };
    await recordEffect(tx, tenantId, context.idempotency, endpoint);
    return endpoint;
  });
  // Also on a replay: the first attempt may have died before the tenant object heard of the endpoint.
  await syncSubscriptions(context);
  return created;
}

export async function listWebhookEndpoints({
  db,
  actor,
}: Pick<ServiceContext, "db" | "actor">): Promise<WebhookEndpoint[]> {
  return (await withTenant(db, actor.auth.tenantId, (tx) => listEndpoints(tx))).map(toEndpoint);
}

export async function getWebhookEndpoint(
  id: string,
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
): Promise<WebhookEndpoint> {
  const row = await withTenant(db, actor.auth.tenantId, (tx) => findEndpoint(tx, id));
  if (!row) throw endpointNotFound(id);
  return toEndpoint(row);
}

const versionMismatch = (current: number) => problems.versionMismatch("The endpoint", current);

/** Edits, enables or disables an endpoint. Re-enabling clears its failure count. */
export async function updateWebhookEndpoint(
  id: string,
  expectedVersion: number,
  patch: {
    url?: string | undefined;
    description?: string | undefined;
    events?: string[] | undefined;
    enabled?: boolean | undefined;
  },
  context: Pick<ServiceContext, "env" | "db" | "actor" | "idempotency">,
): Promise<WebhookEndpoint> {
  if (patch.url !== undefined) checkUrl(patch.url, context.env);
  const tenantId = context.actor.auth.tenantId;
  const endpoint = await withTenant(context.db, tenantId, async (tx) => {
    const earlier = await earlierEffect<WebhookEndpoint>(tx, context.idempotency);
    if (earlier) return earlier;
    const current = await findEndpoint(tx, id);
    if (!current) throw endpointNotFound(id);
    if (current.version !== expectedVersion) throw versionMismatch(current.version);
    const reenabled = patch.enabled === true && !current.enabled;
    const updated = await updateEndpointIfVersion(tx, id, expectedVersion, {
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.events !== undefined ? { events: [...new Set(patch.events)] } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...(reenabled ? { consecutiveFailures: 0, disabledReason: null } : {}),
    });
    if (!updated) throw versionMismatch((await findEndpoint(tx, id))?.version ?? current.version);
    await widenSubscriptions(context.env, tenantId, updated);
    await recordAudit(tx, context.actor, {
      action: "webhook_endpoint.update",
      entityType: "webhook_endpoint",
      entityId: id,
      before: toEndpoint(current),
      after: toEndpoint(updated),
    });
    await recordEffect(tx, tenantId, context.idempotency, toEndpoint(updated));
    return toEndpoint(updated);
  });
  await syncSubscriptions(context);
  return endpoint;
}

export async function deleteWebhookEndpoint(
  id: string,
  expectedVersion: number,
  context: Pick<ServiceContext, "env" | "db" | "actor" | "idempotency">,
): Promise<void> {
  const tenantId = context.actor.auth.tenantId;
  await withTenant(context.db, tenantId, async (tx) => {
    if (await earlierEffect<{ deleted: string }>(tx, context.idempotency)) return;
    const current = await findEndpoint(tx, id);
    if (!current) throw endpointNotFound(id);
    if (current.version !== expectedVersion) throw versionMismatch(current.version);
    const deleted = await updateEndpointIfVersion(tx, id, expectedVersion, { deletedAt: new Date(), enabled: false });
    if (!deleted) throw versionMismatch(current.version);
    await recordAudit(tx, context.actor, {
      action: "webhook_endpoint.delete",
      entityType: "webhook_endpoint",
      entityId: id,
      before: toEndpoint(current),
    });
    await recordEffect(tx, tenantId, context.idempotency, { deleted: id });
  });
  await syncSubscriptions(context);
}
