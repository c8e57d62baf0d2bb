import type { FanOutTiming } from "../../durable-objects/capabilities/sockets";
import { openDatabase } from "../../schema/db";
import { insertBenchRow } from "../repositories/bench";

/** The fixed tenant the benchmark seeds (bench/run.ts) and writes under. */
export const BENCH_TENANT_ID = "00000000-0000-4000-8000-00000000b007";

export async function benchTenantObjectRoundTrip(env: Env): Promise<number> {
  return (await env.TENANT.getByName(BENCH_TENANT_ID).ping()).pings;
}

export async function benchPostgresInsert(
  env: Env,
  requestId: string,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<void> {
  const handle = openDatabase(env);
  try {
    await insertBenchRow(handle.db, BENCH_TENANT_ID, requestId);
  } finally {
    waitUntil(handle.close().catch(() => undefined));
  }
}

/**
 * Bulk work for the intake bench (bench/intake.ts): `count` events on a
 * tenant's log, which its subscribed webhook endpoint turns into as many
 * deliveries on the bulk lane — the shape of a campaign's messages, until
 * campaigns exist (#16).
 */
export async function benchBulkEvents(env: Env, tenantId: string, count: number): Promise<number> {
  const tenant = env.TENANT.getByName(tenantId);
  for (let start = 0; start < count; start += 500) {
    const slice = Array.from({ length: Math.min(500, count - start) }, (_, i) => ({
      channel: "entity:note",
      type: "entity.created",
      dataJson: JSON.stringify({ id: crypto.randomUUID(), type: "note", name: `bulk ${start + i}` }),
    }));
    await tenant.publishMany(slice);
  }
  return count;
}

/** The caller's tenant object's recent WebSocket send loops (bench/fanout.ts splits its p99 with them). */
export async function benchRecentFanOuts(env: Env, tenantId: string): Promise<FanOutTiming[]> {
  return env.TENANT.getByName(tenantId).recentFanOuts();
}
