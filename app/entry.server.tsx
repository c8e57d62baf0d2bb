import type { AppLoadContext, EntryContext, HandleErrorFunction } from "@remix-run/cloudflare";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToReadableStream } from "react-dom/server";
import { createLogger, describeError } from "../workers/logger";
import { NonceProvider } from "./lib/nonce";

export default async function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  let status = responseStatusCode;
  // Every inline script React and Remix write carries the nonce the Content-Security-Policy allows.
  const nonce = loadContext.cspNonce;
  const body = await renderToReadableStream(
    <NonceProvider value={nonce}>
      <RemixServer context={remixContext} url={request.url} nonce={nonce} />
    </NonceProvider>,
    {
      nonce,
      signal: request.signal,
      onError(error: unknown) {
        createLogger({ area: "web-app" }).error("render failed", { error: describeError(error) });
        status = 500;
      },
    },
  );
  // Bots and no-JS readers get the whole document at once.
  if (isbot(request.headers.get("user-agent") || "")) await body.allReady;
  responseHeaders.set("Content-Type", "text/html; charset=utf-8");
  return new Response(body, { headers: responseHeaders, status });
}

/**
 * Anything a loader or action throws that is not a Response: the page shows
 * Remix's generic error (production mode, workers/index.ts), the log gets
 * the real one.
 */
export const handleError: HandleErrorFunction = (error, { request }) => {
  if (request.signal.aborted) return;
  createLogger({ area: "web-app" }).error("loader or action failed", {
    path: new URL(request.url).pathname,
    error: describeError(error),
    stack: error instanceof Error ? error.stack : undefined,
  });
};
