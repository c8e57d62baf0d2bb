import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { problems } from "../problems";

/**
 * How large a request body each kind of route takes, in bytes. Every route
 * has one (defineRoute defaults to `json`); a route that stores a free-form
 * `data` object takes more, the public and webhook doors take less.
 */
export const BODY_LIMITS = {
  /** A JSON API body: settings, a webhook endpoint, a task's input. */
  json: 256 * 1024,
  /** An entity created or patched with its `data`, stored and served on every list page. */
  entity: 1024 * 1024,
  /** A lead from a form, WordPress or Google Ads: a handful of fields. */
  intake: 64 * 1024,
  /** Twilio's form posts are a few dozen short fields. */
  twilio: 64 * 1024,
} as const;

/**
 * Refuses a body over `maxBytes` with a 413 problem before anything reads
 * it whole: a declared Content-Length is judged at once, a chunked body as
 * it streams in (Hono's bodyLimit, which buffers at most `maxBytes`). It runs
 * first on every route, ahead of the credential check and of the idempotency
 * ledger (which hashes the body): an oversize request costs no parsing, no
 * write and no memory beyond the limit. The limits are public (OpenAPI), so
 * answering 413 before 401 tells a stranger nothing.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler {
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw problems.payloadTooLarge(maxBytes);
    },
  });
}
