import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { createLogger } from "../logger";

const INCOMING = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Gives each request an id (a well-formed incoming `X-Request-Id` is kept so
 * traces join up across services), a logger bound to it, and one access-log
 * line when the response is done.
 */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const id = incoming && INCOMING.test(incoming) ? incoming : crypto.randomUUID();
  const log = createLogger({ requestId: id });
  c.set("requestId", id);
  c.set("log", log);
  const started = Date.now();
  await next();
  c.header("X-Request-Id", id);
  log.info("request", {
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Date.now() - started,
    tenantId: c.get("tenantId"),
  });
});
