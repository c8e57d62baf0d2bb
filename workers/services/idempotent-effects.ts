import type { Transaction } from "../../schema/tenant-transaction";
import type { IdempotencyClaim } from "../context";
import { Problem, problems } from "../problems";
import { findEffect, insertEffect } from "../repositories/idempotency-effects";

/**
 * An effect and its Idempotency-Key commit in one transaction (decision 013),
 * so a retry can never make a change twice — even when the Worker died after
 * the commit and before the tenant object's ledger heard of the response.
 * A service calls `earlierEffect` first in its transaction and returns what it
 * finds; otherwise it makes the change and calls `recordEffect` before commit.
 */
/** The same Idempotency-Key on another method, path or body: refused, never replayed. */
export function idempotencyKeyReused(): Problem {
  return new Problem({
    status: 422,
    code: "idempotency-key-reused",
    title: "Idempotency-Key reused for a different request",
    detail: "This key was used with another method, path or body. Use a new key for a new request.",
    errors: [{ field: "Idempotency-Key", message: "already used for a different request" }],
  });
}

export async function earlierEffect<T>(tx: Transaction, claim: IdempotencyClaim | undefined): Promise<T | undefined> {
  if (!claim) return undefined;
  const recorded = await findEffect(tx, claim.key);
  if (!recorded) return undefined;
  if (recorded.fingerprint !== claim.fingerprint) throw idempotencyKeyReused();
  return recorded.result as T;
}

export async function recordEffect(
  tx: Transaction,
  tenantId: string,
  claim: IdempotencyClaim | undefined,
  result: unknown,
): Promise<void> {
  if (!claim) return;
  const recorded = await insertEffect(tx, { tenantId, key: claim.key, fingerprint: claim.fingerprint, result });
  // Two attempts ran at once (the first one slow, not dead, past the ledger's
  // pending timeout): the one that committed first wins, this one rolls back.
  if (!recorded) {
    throw problems.conflict("idempotency-key-in-flight", "A request with this Idempotency-Key has just completed.");
  }
}
