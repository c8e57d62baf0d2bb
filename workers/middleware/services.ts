import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { contextFrom, type ServiceContext } from "../service-context";
import { PendingEvents } from "../services/realtime";

export type ServicesEnv = AppEnv & { Variables: { services: ServiceContext } };

/**
 * The services a guarded route's handler calls with, built once per request
 * after the guard (so the caller is known) and read as `c.get("services")`:
 * handlers never assemble a context by hand. Postgres still opens on first use.
 * The request's events are held (PendingEvents) and reach the tenant object
 * in one call: with the idempotency ledger's completion when the request has
 * a key, else here when it ends — also when it failed after a commit.
 */
export const services = createMiddleware<ServicesEnv>(async (c, next) => {
  const pending = new PendingEvents();
  c.set("pendingEvents", pending);
  c.set("services", contextFrom(c));
  try {
    await next();
  } finally {
    const events = pending.drain();
    const tenantId = c.get("auth")?.tenantId;
    if (events.length > 0 && tenantId) await c.env.TENANT.getByName(tenantId).publishMany(events);
  }
});
