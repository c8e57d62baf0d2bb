import { createMiddleware } from "hono/factory";
import { sha256Hex } from "../auth/encoding";
import type { AppEnv } from "../context";
import { Problem } from "../problems";
import { idempotencyKeyReused } from "../services/idempotent-effects";

const KEY = /^[\x21-\x7e]{1,255}$/;
/** Replayed as stored; everything else (request id, rate-limit state) belongs to the new request. */
const STORED_HEADERS = ["content-type", "etag", "location"];
/** How long a request waits for an identical one in flight before answering 409. */
const IN_FLIGHT_WAIT_MS = 5_000;

/**
 * `Idempotency-Key` on a mutating route, with Stripe's semantics, kept in the
 * tenant's Durable Object ledger (keys kept at least 24 h):
 *   same key + same method, path and body → the stored response, `Idempotent-Replayed: true`;
 *   same key + another request → 422;
 *   same key still running → wait up to 5 s for it and replay its response, else 409.
 * Only a 2xx (the effect committed) is stored; anything else releases the key,
 * so a request that failed validation leaves nothing behind.
 * The ledger hears of a response only after the effect committed; for the
 * gap between the two, every keyed write that commits in Postgres also
 * records the key there with its effect (decision 013).
 * Runs after the guard: the ledger is per tenant.
 */
export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  const auth = c.get("auth");
  if (key === undefined || !auth) return next();
  if (!KEY.test(key)) {
    throw new Problem({
      status: 400,
      code: "invalid-idempotency-key",
      title: "Invalid Idempotency-Key",
      detail: "Idempotency-Key must be 1–255 printable ASCII characters.",
      errors: [{ field: "Idempotency-Key", message: "1–255 printable ASCII characters" }],
    });
  }
  const url = new URL(c.req.url);
  const fingerprint = await sha256Hex(`${c.req.method} ${url.pathname}${url.search}\n${await c.req.text()}`);
  const ledgerKey = `http:${key}`;
  const ledger = c.env.TENANT.getByName(auth.tenantId);
  const begun = await ledger.beginAction(ledgerKey, fingerprint, undefined, IN_FLIGHT_WAIT_MS);
  if (begun.outcome === "replay") {
    const { status, headers, body } = begun.response;
    return new Response(body, { status, headers: { ...headers, "Idempotent-Replayed": "true" } });
  }
  if (begun.outcome === "in-flight") {
    throw new Problem({
      status: 409,
      code: "idempotency-key-in-flight",
      title: "Request with this Idempotency-Key is in progress",
      detail: "Retry after the first request has finished.",
    });
  }
  if (begun.outcome === "mismatch") throw idempotencyKeyReused();

  // Services that support it record the key with their effect, in the same
  // Postgres transaction (decision 013): when this Worker dies after the
  // commit and the ledger entry times out, the retry finds the effect there
  // and answers with its result instead of making the change again.
  c.set("idempotency", { key: ledgerKey, fingerprint });
  let stored = false;
  try {
    await next();
    if (c.res.status >= 200 && c.res.status < 300 && !c.error) {
      const headers: Record<string, string> = {};
      for (const name of STORED_HEADERS) {
        const value = c.res.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      const body = await c.res.clone().text();
      // One call: the key completes and the request's events go out with it (middleware/services.ts).
      await ledger.settle(auth.tenantId, {
        complete: { keys: [ledgerKey], fingerprint, response: { status: c.res.status, headers, body } },
        events: c.get("pendingEvents")?.drain() ?? [],
      });
      stored = true;
    }
  } finally {
    if (!stored) await ledger.releaseAction(ledgerKey, fingerprint);
  }
});
