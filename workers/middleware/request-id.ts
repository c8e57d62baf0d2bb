import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { createLogger } from "../logger";

const INCOMING = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Gives each request an id minted here, a logger bound to it, and one
 * access-log line when the response is done. The id is ours alone: it keys
 * audit rows and deduplicates external actions (a manual SMS), so a client
 * that reuses an id must not be able to collide with its own earlier
 * requests or anyone else's. A well-formed client `X-Request-Id` is still
 * kept, as `clientRequestId`, so traces join up across services.
 */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = crypto.randomUUID();
  const incoming = c.req.header("x-request-id");
  const clientRequestId = incoming && INCOMING.test(incoming) ? incoming : undefined;
  const log = createLogger(clientRequestId ? { requestId: id, clientRequestId } : { requestId: id });
  c.set("requestId", id);
  if (clientRequestId) c.set("clientRequestId", clientRequestId);
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
