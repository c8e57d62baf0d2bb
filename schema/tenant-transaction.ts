/**
 * The only way application code reaches Postgres rows.
 *
 * `withTenant` opens a transaction, drops to the `apex_app` role and sets
 * `app.tenant_id` for that transaction alone. Row-level security then hides
 * every other tenant's rows even if a query forgets its own filter.
 * Transaction-local (`SET LOCAL`, `set_config(..., true)`) matters: a
 * session-level setting would leak the tenant to the next user of a pooled
 * connection.
 */
import { sql } from "drizzle-orm";
import type { Database } from "./db";

export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function withTenant<T>(db: Database, tenantId: string, work: (tx: Transaction) => Promise<T>): Promise<T> {
  if (!UUID.test(tenantId)) throw new TypeError(`withTenant needs a tenant uuid, got ${JSON.stringify(tenantId)}`);
  return db.transaction(async (tx) => {
    await enterTenant(tx, tenantId);
    return work(tx);
  });
}

/** `SET LOCAL ROLE apex_app` and the tenant, in one round trip (left to right: the role first). */
async function enterTenant(tx: Transaction, tenantId: string): Promise<void> {
  await tx.execute(sql`select set_config('role', 'apex_app', true), set_config('app.tenant_id', ${tenantId}, true)`);
}

/**
 * A verified-by-the-tenant's-secret public request (lead intake) in one
 * transaction: `lookup` runs as `apex_system` to learn whose the addressed
 * record is, then the same transaction drops to `apex_app` for that tenant,
 * exactly as `withTenant` would, and `work` runs under its row-level
 * security. One transaction where there were two; `undefined` when the lookup
 * finds nothing (work does not run).
 */
export async function withSystemThenTenant<Found extends { tenantId: string }, T>(
  db: Database,
  lookup: (tx: Transaction) => Promise<Found | undefined>,
  work: (tx: Transaction, found: Found) => Promise<T>,
): Promise<{ found: Found; result: T } | undefined> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local role apex_system`);
    const found = await lookup(tx);
    if (!found) return undefined;
    if (!UUID.test(found.tenantId)) throw new TypeError(`not a tenant uuid: ${JSON.stringify(found.tenantId)}`);
    await enterTenant(tx, found.tenantId);
    return { found, result: await work(tx, found) };
  });
}

/**
 * Cross-tenant lookups that must happen before a tenant is known (an API key
 * by its hash, a user by email at login, signup). Runs as `apex_system`, which
 * has grants on identity tables only — never on entities or the audit log.
 */
export async function withSystem<T>(db: Database, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local role apex_system`);
    return work(tx);
  });
}
