import type { Transaction } from "../../schema/tenant-transaction";
import type { IdempotencyClaim } from "../context";
import { openSecret, sealSecret } from "../crypto/secret-box";
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

/** A secret kept for a replay is sealed under its own context, so no other sealed column's ciphertext opens as one. */
const replayContext = (tenantId: string) => `${tenantId}:idempotency-replay`;

/**
 * A secret shown once (an API key, an invitation token) is stored by its hash
 * only; a replay must still show it, as the ledger's stored response does. It
 * is kept with the effect sealed (SECRETS_ENCRYPTION_KEY), never in the clear:
 * `null` when there is no key to record or no encryption key to seal it with.
 */
export async function sealedForReplay(
  env: Pick<Env, "SECRETS_ENCRYPTION_KEY">,
  tenantId: string,
  claim: IdempotencyClaim | undefined,
  secret: string,
): Promise<string | null> {
  if (!claim || !env.SECRETS_ENCRYPTION_KEY) return null;
  return sealSecret(env.SECRETS_ENCRYPTION_KEY, secret, replayContext(tenantId));
}

/** The sealed secret of a replayed effect; without one, the retry is told what happened instead of getting a second secret. */
export async function openedForReplay(
  env: Pick<Env, "SECRETS_ENCRYPTION_KEY">,
  tenantId: string,
  sealed: string | null,
  what: string,
): Promise<string> {
  if (sealed === null) {
    throw problems.conflict(
      "idempotency-secret-not-kept",
      `${what} was created by the first attempt with this Idempotency-Key; its secret is shown once and was not kept.`,
    );
  }
  return openSecret(env.SECRETS_ENCRYPTION_KEY, sealed, replayContext(tenantId));
}
