/**
 * The Worker entry: wiring only.
 *   fetch     → /api/* and /webhooks/* to the Hono app; everything else to Remix
 *   queue     → the agent dispatcher (and the dead-letter recorder)
 *   scheduled → cron jobs
 */
import { createRequestHandler, type RequestHandler, type ServerBuild } from "@remix-run/cloudflare";
import { openDatabase } from "../schema/db";
import { consumeAgentBatch, consumeDeadLetters } from "./agents/consumer";
import { createApp } from "./app";
import { runScheduledJobs } from "./jobs/scheduled";
import { cspNonce, withPageSecurityHeaders } from "./middleware/security-headers";
import { benchCountingEnv, countQueueMessages, countRequest } from "./services/bench-counting";
import { crossSiteRefusal, prepareUiSession } from "./ui-session";

export { IntakeGateObject } from "../durable-objects/intake-gate";
export { RateLimiterObject } from "../durable-objects/rate-limiter";
export { TenantDurableObject } from "../durable-objects/tenant";

const api = createApp();

// The Remix build is produced by `npm run build`; loaded lazily so the API
// path never pays for parsing the UI bundle. Always production mode: the
// development mode writes a failed loader's message and stack into the page
// (SQL text included); the log has them (app/entry.server.tsx handleError).
let remixHandler: RequestHandler | undefined;
async function handleUi(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  remixHandler ??= createRequestHandler((await import("../build/server/index.js")) as ServerBuild, "production");
  let handle: ReturnType<typeof openDatabase> | undefined;
  const db = () => {
    handle ??= openDatabase(env);
    return handle.db;
  };
  const nonce = cspNonce();
  const refused = crossSiteRefusal(request);
  if (refused) return withPageSecurityHeaders(refused, nonce);
  try {
    const session = await prepareUiSession(request, env, db);
    const response = withPageSecurityHeaders(
      await remixHandler(session.request, { cloudflare: { env, ctx }, db, cspNonce: nonce }),
      nonce,
    );
    for (const line of session.setCookies) response.headers.append("Set-Cookie", line);
    return response;
  } finally {
    if (handle) ctx.waitUntil(handle.close());
  }
}

function isApiPath(pathname: string): boolean {
  return pathname.startsWith("/api/") || pathname === "/api" || pathname.startsWith("/webhooks/");
}

export default {
  fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    countRequest(env, pathname);
    const counted = benchCountingEnv(env);
    return isApiPath(pathname) ? api.fetch(request, counted, ctx) : handleUi(request, counted, ctx);
  },
  async queue(batch, env, ctx) {
    if (batch.queue.endsWith("-dlq")) return consumeDeadLetters(batch, env);
    countQueueMessages(env, batch.messages.length);
    return consumeAgentBatch(batch, benchCountingEnv(env), ctx);
  },
  async scheduled(controller, env, ctx) {
    await runScheduledJobs(controller, benchCountingEnv(env), ctx);
  },
} satisfies ExportedHandler<Env, unknown>;
