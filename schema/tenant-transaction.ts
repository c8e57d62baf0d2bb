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
import { NeonSession, NeonTransaction } from "drizzle-orm/neon-serverless";
import type { Database } from "./db";

export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Open tenant transactions lent out as a `Database` (inOneTenantTransaction), by their tenant. */
const lent = new WeakMap<object, string>();

export async function withTenant<T>(db: Database, tenantId: string, work: (tx: Transaction) => Promise<T>): Promise<T> {
  if (!UUID.test(tenantId)) throw new TypeError(`withTenant needs a tenant uuid, got ${JSON.stringify(tenantId)}`);
  const joined = lent.get(db);
  if (joined !== undefined) {
    // Part of a larger transaction of the same tenant: its work runs in it, under the same settings.
    if (joined !== tenantId) throw new Error("a transaction of one tenant cannot serve another");
    return work(db as unknown as Transaction);
  }
  return transaction(db, enterTenantSql(tenantId), work);
}

/**
 * Several services' tenant transactions as ONE: `work` gets a database handle
 * whose every `withTenant` for this tenant joins this transaction instead of
 * opening its own (one snapshot, one begin/commit, no waits in between). For
 * a path where every round trip counts (the bridge's reads before the dial).
 * A statement that fails inside fails the whole transaction, so join only work
 * that does not catch its own database errors to carry on.
 */
export async function inOneTenantTransaction<T>(
  db: Database,
  tenantId: string,
  work: (joined: Database) => Promise<T>,
): Promise<T> {
  return withTenant(db, tenantId, async (tx) => {
    if (lent.has(tx)) return work(tx as unknown as Database); // already one: it stays lent to its opener
    lent.set(tx, tenantId);
    try {
      return await work(tx as unknown as Database);
    } finally {
      lent.delete(tx);
    }
  });
}

/** The role and the tenant for this transaction alone (left to right: the role first); the id is a checked uuid. */
const enterTenantSql = (tenantId: string) =>
  `select set_config('role', 'apex_app', true), set_config('app.tenant_id', '${tenantId}', true)`;

/**
 * drizzle's `db.transaction`, with the first statement sent in the same round
 * trip as `begin` (a simple query of two statements): every tenant
 * transaction used to cost a round trip for `begin` and another for the
 * settings, and round trips are most of what a lead costs (decision 029).
 * `enter` must hold no input but checked ids. The transaction object is
 * drizzle's own, on a connection of the request's pool.
 */
async function transaction<T>(db: Database, enter: string, work: (tx: Transaction) => Promise<T>): Promise<T> {
  if (lent.has(db)) throw new Error("a lent tenant transaction cannot open another transaction");
  const client = await db.$client.connect();
  try {
    const internals = db as unknown as {
      dialect: ConstructorParameters<typeof NeonSession>[1];
      _: { schema: unknown; fullSchema: Record<string, unknown>; tableNamesMap: Record<string, string> };
    };
    const schema = {
      schema: internals._.schema,
      fullSchema: internals._.fullSchema,
      tableNamesMap: internals._.tableNamesMap,
    } as ConstructorParameters<typeof NeonSession>[2];
    const session = new NeonSession(client, internals.dialect, schema);
    const tx = new NeonTransaction(internals.dialect, session, schema) as unknown as Transaction;
    await tx.execute(sql.raw(`begin; ${enter}`));
    try {
      const result = await work(tx);
      await tx.execute(sql.raw("commit"));
      return result;
    } catch (error) {
      await tx.execute(sql.raw("rollback")).catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
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
  return transaction(db, "set local role apex_system", async (tx) => {
    const found = await lookup(tx);
    if (!found) return undefined;
    if (!UUID.test(found.tenantId)) throw new TypeError(`not a tenant uuid: ${JSON.stringify(found.tenantId)}`);
    await tx.execute(sql.raw(enterTenantSql(found.tenantId)));
    return { found, result: await work(tx, found) };
  });
}

/**
 * Cross-tenant lookups that must happen before a tenant is known (an API key
 * by its hash, a user by email at login, signup). Runs as `apex_system`, which
 * has grants on identity tables only — never on entities or the audit log.
 */
export async function withSystem<T>(db: Database, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return transaction(db, "set local role apex_system", work);
}
