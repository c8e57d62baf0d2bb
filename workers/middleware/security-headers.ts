import type { MiddlewareHandler } from "hono";
import { toBase64Url } from "../auth/encoding";

/**
 * Browser-facing hardening headers, one policy for the whole Worker.
 *
 * Pages (the Remix UI): a Content-Security-Policy that allows scripts only
 * from this origin or inline with this response's nonce (Remix's hydration
 * scripts carry it, app/entry.server.tsx), refuses framing
 * (`frame-ancestors 'none'`: the settings pages that create keys and change
 * roles must not be clickjacked), and keeps forms and <base> on this origin.
 * Styles allow inline `style` attributes, which the pages use for layout;
 * styles cannot run code.
 *
 * API and webhooks: JSON is never a document, so `default-src 'none'` and
 * no framing — except /api/docs, the Swagger UI, whose script and styles
 * come from its CDN; it only gets the framing refusal.
 *
 * Everything: nosniff, no Referer beyond this origin, and HSTS. HSTS is sent
 * on every response: browsers ignore it over plain http (local dev), and
 * behind Cloudflare every real request is https.
 */
const COMMON: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
  "X-Frame-Options": "DENY",
};

const pagePolicy = (nonce: string) =>
  [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "media-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");

const API_POLICY = "default-src 'none'; frame-ancestors 'none'";
const DOCS_POLICY = "frame-ancestors 'none'";

/** A fresh nonce for one page response. */
export function cspNonce(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(18)));
}

/** The page response with the headers above; `nonce` is the one its inline scripts were rendered with. */
export function withPageSecurityHeaders(response: Response, nonce: string): Response {
  return withHeaders(response, { ...COMMON, "Content-Security-Policy": pagePolicy(nonce) });
}

/** For the Hono app (workers/app.ts): API, webhooks and the API reference. */
export const apiSecurityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  const policy = c.req.path === "/api/docs" ? DOCS_POLICY : API_POLICY;
  c.res = withHeaders(c.res, { ...COMMON, "Content-Security-Policy": policy });
};

function withHeaders(response: Response, headers: Record<string, string>): Response {
  // A WebSocket upgrade is not a document and must be passed on untouched.
  if (response.status === 101) return response;
  // Responses from fetch() (a Durable Object, R2 passthrough) have immutable headers: copy first.
  const out = new Response(response.body, response);
  for (const [name, value] of Object.entries(headers)) out.headers.set(name, value);
  return out;
}
