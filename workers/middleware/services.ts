import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { contextFrom, type ServiceContext } from "../service-context";

export type ServicesEnv = AppEnv & { Variables: { services: ServiceContext } };

/**
 * The services a guarded route's handler calls with, built once per request
 * after the guard (so the caller is known) and read as `c.var.services`:
 * handlers never assemble a context by hand. Postgres still opens on first use.
 */
export const services = createMiddleware<ServicesEnv>(async (c, next) => {
  c.set("services", contextFrom(c));
  await next();
});
