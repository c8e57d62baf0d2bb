import { createMiddleware } from "hono/factory";
import { type DatabaseHandle, openDatabase } from "../../schema/db";
import type { AppEnv } from "../context";

/**
 * Postgres for this request, opened only if something asks for it (most
 * requests that fail early never pay the connect) and closed after the
 * response with waitUntil: Workers cannot keep sockets between requests.
 * Work the request leaves running after its answer (intake's bridge) may
 * hold the connection (`holdDatabase`): it closes once that work is done,
 * so the work need not open a connection of its own.
 */
export const database = createMiddleware<AppEnv>(async (c, next) => {
  let handle: DatabaseHandle | undefined;
  const holds: Promise<unknown>[] = [];
  c.set("db", () => {
    handle ??= openDatabase(c.env, c.get("databaseLane"));
    return handle.db;
  });
  c.set("holdDatabase", (work) => {
    holds.push(work);
  });
  try {
    await next();
  } finally {
    // The handle is read after the holds settle: held work may be the first to open it.
    if (handle || holds.length > 0) {
      c.executionCtx.waitUntil(Promise.allSettled(holds).then(() => handle?.close().catch(() => undefined)));
    }
  }
});
