import { withTenant } from "../../schema/tenant-transaction";
import { fetchOutbound, OutboundStatusError } from "../outbound/fetch";
import { Problem } from "../problems";
import { enqueueMany } from "../queue/enqueue";
import { recordAudit } from "../repositories/audit";
import {
  closeDelivery,
  endpointsFor,
  findDelivery,
  findEndpoint,
  insertDeliveries,
  listDeliveries,
  pendingDeliveriesOf,
  recordAttempt,
  setEndpointFailures,
  type WebhookEndpointRow,
} from "../repositories/webhooks";
import type { ServiceContext } from "../service-context";
import { SIGNATURE_HEADER, signatureHeader } from "../webhooks/signature";
import { signingKey, standardWebhookHeaders } from "../webhooks/standard-signature";
import { endpointNotFound, syncSubscriptions } from "./webhook-endpoints";

/**
 * Events out to the tenant's endpoints, run by agents: one delivery per
 * subscribed endpoint, each attempt signed and logged, and the log the
 * tenant's admins read. Managing the endpoints is webhook-endpoints.ts.
 */
/** The delivery log: newest deliveries first, each with every attempt. */
export async function webhookDeliveryLog(
  id: string,
  limit: number,
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
) {
  return withTenant(db, actor.auth.tenantId, async (tx) => {
    if (!(await findEndpoint(tx, id))) throw endpointNotFound(id);
    const { deliveries, attempts } = await listDeliveries(tx, id, limit);
    return deliveries.map((d) => ({
      id: d.id,
      eventId: d.eventId,
      eventType: d.eventType,
      status: d.status as "pending" | "succeeded" | "failed",
      attempts: attempts
        .filter((a) => a.deliveryId === d.id)
        .map((a) => ({
          attempt: a.attempt,
          statusCode: a.statusCode,
          error: a.error,
          durationMs: a.durationMs,
          at: a.at.toISOString(),
        })),
      createdAt: d.createdAt.toISOString(),
      updatedAt: d.updatedAt.toISOString(),
    }));
  });
}

interface WebhookEvent {
  eventId: string;
  type: string;
  occurredAt: string;
  dataJson: string;
}

/**
 * One event → one delivery per subscribed endpoint, each sent to the queue as
 * its own message. An event no endpoint wants means the tenant object's list
 * is wider than Postgres (an endpoint change died before narrowing it): it is
 * set again from Postgres here.
 */
export async function dispatchWebhookEvent(
  event: WebhookEvent,
  { env, db, actor }: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<number> {
  const tenantId = actor.auth.tenantId;
  let nobodyWants = false;
  const pending = await withTenant(db, tenantId, async (tx) => {
    const endpoints = await endpointsFor(tx, event.type);
    nobodyWants = endpoints.length === 0;
    const payload = {
      id: event.eventId,
      type: event.type,
      createdAt: event.occurredAt,
      data: JSON.parse(event.dataJson),
    };
    await insertDeliveries(
      tx,
      endpoints.map((e) => ({ tenantId, endpointId: e.id, eventId: event.eventId, eventType: event.type, payload })),
    );
    return pendingDeliveriesOf(
      tx,
      event.eventId,
      endpoints.map((e) => e.id),
    );
  });
  if (nobodyWants) await syncSubscriptions({ env, db, actor });
  await enqueueMany(
    env,
    tenantId,
    "webhook_deliver",
    pending.map((d) => ({ deliveryId: d.id })),
  );
  return pending.length;
}

/** A failed attempt that will be tried again: the queue's retry with backoff does that. */
class RetryableDeliveryError extends Error {}

interface DeliveryLimits {
  maxAttempts: number;
  disableAfter: number;
}

function deliveryLimits(env: Env): DeliveryLimits {
  return {
    maxAttempts: Math.max(1, Number(env.WEBHOOK_MAX_ATTEMPTS ?? "5")),
    disableAfter: Math.max(1, Number(env.WEBHOOK_DISABLE_AFTER ?? "5")),
  };
}

/** What the delivery log keeps of a failed attempt: a status or an error name, never a response body. */
function attemptError(caught: unknown): string {
  if (caught instanceof OutboundStatusError) return `HTTP ${caught.status}`;
  return caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
}

/**
 * What one attempt carries besides its body. Every endpoint gets the Standard
 * Webhooks headers. webhook-id is the delivery's id: the same on every retry,
 * and unique across tenants and endpoints, which the event's id is not
 * (`evt_<seq>_…` counts per tenant), so a receiver that serves several tenants
 * can deduplicate on it. An endpoint from before Standard Webhooks keeps its
 * secret and, for one release, the deprecated Apex-Signature, Apex-Event-Id
 * and Apex-Delivery-Id (decision 020).
 */
async function deliveryHeaders(
  endpoint: Pick<WebhookEndpointRow, "secret" | "signatureScheme">,
  delivery: { id: string; eventId: string; eventType: string },
  attempt: number,
  body: string,
): Promise<Record<string, string>> {
  const timestamp = Math.floor(Date.now() / 1000);
  const legacy = endpoint.signatureScheme === "legacy+standard";
  const key = signingKey(endpoint.secret, legacy ? "raw" : "base64");
  return {
    "content-type": "application/json",
    "user-agent": "Apex-Webhooks/1",
    ...(await standardWebhookHeaders([key], { id: delivery.id, timestamp, body })),
    "apex-event-type": delivery.eventType,
    "apex-delivery-attempt": String(attempt),
    ...(legacy
      ? {
          "apex-event-id": delivery.eventId,
          "apex-delivery-id": delivery.id,
          [SIGNATURE_HEADER]: await signatureHeader(endpoint.secret, body, timestamp),
        }
      : {}),
  };
}

/**
 * One attempt at one delivery: sign, POST, log the attempt. A failure before
 * the last attempt throws RetryableDeliveryError; the last failed attempt, or
 * one whose URL the outbound policy refuses, fails the delivery and counts against the endpoint, which is disabled (and
 * the tenant told on `webhook:{id}`) after `disableAfter` failed deliveries
 * in a row.
 */
export async function attemptDelivery(
  deliveryId: string,
  context: Pick<ServiceContext, "env" | "db" | "actor" | "publish" | "log">,
) {
  const { env, db, actor, log } = context;
  const tenantId = actor.auth.tenantId;
  const limits = deliveryLimits(env);
  const loaded = await withTenant(db, tenantId, async (tx) => {
    const delivery = await findDelivery(tx, deliveryId);
    const endpoint = delivery ? await findEndpoint(tx, delivery.endpointId) : undefined;
    if (delivery?.status === "pending" && !endpoint?.enabled) {
      await closeDelivery(tx, deliveryId, "failed", "endpoint was disabled or deleted before delivery");
    }
    return { delivery, endpoint };
  });
  const { delivery, endpoint } = loaded;
  if (delivery?.status !== "pending" || !endpoint?.enabled) {
    return { deliveryId, outcome: "skipped" as const };
  }

  const attempt = delivery.attempts + 1;
  const body = JSON.stringify(delivery.payload);
  // Signed before the clock starts and outside the try: a signing failure is ours, not the endpoint's.
  const headers = await deliveryHeaders(endpoint, delivery, attempt, body);
  const started = Date.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  let refused = false;
  try {
    // Checked again at send time (the rule may have tightened since the endpoint was saved, and production
    // resolves the name); redirects are never followed, so a 3xx fails the attempt like any non-2xx.
    const response = await fetchOutbound(
      endpoint.url,
      { method: "POST", headers, body },
      { appEnv: env.APP_ENV, field: "url", what: "the endpoint" },
    );
    statusCode = response.status;
    await response.body?.cancel();
  } catch (caught) {
    if (caught instanceof OutboundStatusError) statusCode = caught.status;
    // A URL the policy refuses stays refused: retrying cannot help.
    refused = caught instanceof Problem;
    error = attemptError(caught);
  }
  const succeeded = error === null;
  const final = succeeded || refused || attempt >= limits.maxAttempts;
  const durationMs = Date.now() - started;

  const disabled = await withTenant(db, tenantId, async (tx) => {
    await recordAttempt(
      tx,
      delivery,
      { attempt, statusCode, error, durationMs },
      succeeded ? "succeeded" : final ? "failed" : "pending",
    );
    const current = await findEndpoint(tx, endpoint.id);
    if (!current) return false;
    if (succeeded) {
      if (current.consecutiveFailures > 0) await setEndpointFailures(tx, current.id, { consecutiveFailures: 0 });
      return false;
    }
    if (!final) return false;
    const failures = current.consecutiveFailures + 1;
    const disable = current.enabled && failures >= limits.disableAfter;
    const reason = disable ? `${failures} deliveries in a row failed; last: ${error}` : current.disabledReason;
    await setEndpointFailures(tx, current.id, {
      consecutiveFailures: failures,
      ...(disable ? { enabled: false, disabledReason: reason } : {}),
    });
    if (disable) {
      await recordAudit(tx, actor, {
        action: "webhook_endpoint.disabled",
        entityType: "webhook_endpoint",
        entityId: current.id,
        after: { reason, consecutiveFailures: failures },
      });
    }
    return disable;
  });

  if (disabled) {
    log.warn("webhook endpoint disabled", { endpointId: endpoint.id });
    await syncSubscriptions(context);
    await context.publish(`webhook:${endpoint.id}`, "webhook_endpoint.disabled", {
      endpointId: endpoint.id,
      url: endpoint.url,
      reason: `${limits.disableAfter} deliveries in a row failed; last: ${error}`,
    });
  }
  if (!final) throw new RetryableDeliveryError(`delivery ${deliveryId} attempt ${attempt} failed: ${error}`);
  return { deliveryId, outcome: succeeded ? ("succeeded" as const) : ("failed" as const), attempt, statusCode };
}
