import type { AppLoadContext } from "@remix-run/cloudflare";
import type { Database } from "../schema/db";

declare module "@remix-run/cloudflare" {
  interface AppLoadContext {
    cloudflare: { env: Env; ctx: ExecutionContext };
    /** Postgres for this request, opened on first use; the Worker closes it after the response. */
    db: () => Database;
    /** This response's Content-Security-Policy nonce: every inline script Remix renders carries it. */
    cspNonce: string;
  }
  // Single fetch is on (vite.config.ts): `data(body, { status })` from an action types as its body.
  interface Future {
    v3_singleFetch: true;
  }
}

export type { AppLoadContext };
