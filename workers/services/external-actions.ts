/**
 * The idempotent action ledger for things Apex does to the outside world
 * (a call placed, an SMS sent, a webhook's effect applied. The
 * first holder of a key performs the action and stores its result in the
 * tenant object; anyone later with the same key gets that result and
 * performs nothing — so a retried agent never dials twice and a duplicated
 * Twilio callback changes nothing the second time.
 */
const FINGERPRINT = "external-action";

class ActionInFlight extends Error {}

export async function onceOnly<T>(
  env: Env,
  tenantId: string,
  key: string,
  retentionMs: number,
  perform: () => Promise<T>,
): Promise<{ result: T; performed: boolean }> {
  const tenant = env.TENANT.getByName(tenantId);
  const begin = await tenant.beginAction(key, FINGERPRINT, retentionMs, 5_000);
  if (begin.outcome === "replay") return { result: JSON.parse(begin.response.body) as T, performed: false };
  if (begin.outcome !== "proceed") throw new ActionInFlight(`action ${key} is in flight elsewhere`);
  let result: T;
  try {
    result = await perform();
  } catch (error) {
    await tenant.releaseAction(key, FINGERPRINT);
    throw error;
  }
  await tenant.completeAction(key, FINGERPRINT, { status: 200, headers: {}, body: JSON.stringify(result ?? null) });
  return { result, performed: true };
}

/** The result of an action already done under `key`, if any: asked before deciding anew whether to do it. */
export async function doneAction<T>(env: Env, tenantId: string, key: string): Promise<T | undefined> {
  const found = await env.TENANT.getByName(tenantId).lookupAction(key);
  return found.outcome === "replay" ? (JSON.parse(found.response.body) as T) : undefined;
}

export const HOUR_MS = 3_600_000;
