import { createMiddleware } from "hono/factory";
import { type DatabaseHandle, openDatabase } from "../../schema/db";
import type { AppEnv } from "../context";

/**
 * Postgres for this request, opened only if something asks for it (most
 * requests that fail early never pay the connect) and closed after the
 * response with waitUntil: Workers cannot keep sockets between requests.
 */
export const database = createMiddleware<AppEnv>(async (c, next) => {
  let handle: DatabaseHandle | undefined;
  c.set("db", () => {
    handle ??= openDatabase(c.env);
    return handle.db;
  });
  try {
    await next();
  } finally {
    if (handle) c.executionCtx.waitUntil(handle.close().catch(() => undefined));
  }
});
