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

/** The caller's tenant object's recent WebSocket send loops (bench/fanout.ts splits its p99 with them). */
export async function benchRecentFanOuts(env: Env, tenantId: string): Promise<FanOutTiming[]> {
  return env.TENANT.getByName(tenantId).recentFanOuts();
}
