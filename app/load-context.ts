import type { AppLoadContext } from "@remix-run/cloudflare";
import type { Database } from "../schema/db";

declare module "@remix-run/cloudflare" {
  interface AppLoadContext {
    cloudflare: { env: Env; ctx: ExecutionContext };
    /** Postgres for this request, opened on first use; the Worker closes it after the response. */
    db: () => Database;
  }
}

export type { AppLoadContext };
