import { evictAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TenantDurableObject } from "../durable-objects/tenant";
import { TENANT_MIGRATIONS } from "../durable-objects/tenant-migrations";

describe("the tenant Durable Object", () => {
  it("answers ping over RPC with a counter kept in its SQLite storage", async () => {
    const stub = env.TENANT.getByName("rpc-ping-tenant");
    const first = await stub.ping();
    const second = await stub.ping();
    expect(first.ok).toBe(true);
    expect(second.pings).toBe(first.pings + 1);
  });

  it("keeps its storage when the object is evicted from memory", async () => {
    const stub = env.TENANT.getByName("eviction-tenant");
    await stub.ping();
    await stub.ping();
    await evictAllDurableObjects();
    expect((await env.TENANT.getByName("eviction-tenant").ping()).pings).toBe(3);
  });

  it("applies each storage migration exactly once, in the declared order", async () => {
    const stub = env.TENANT.getByName("migrations-tenant");
    await stub.ping();
    await evictAllDurableObjects(); // a second construction must not re-apply anything
    await stub.ping();
    await runInDurableObject(stub, async (_instance: TenantDurableObject, state) => {
      const rows = state.storage.sql.exec<{ id: string }>("SELECT id FROM _migrations ORDER BY rowid").toArray();
      expect(rows.map((r) => r.id)).toEqual(TENANT_MIGRATIONS.map((m) => m.id));
    });
  });

  it("separate tenants get separate objects and separate storage", async () => {
    await env.TENANT.getByName("tenant-a").ping();
    await env.TENANT.getByName("tenant-a").ping();
    expect((await env.TENANT.getByName("tenant-b").ping()).pings).toBe(1);
  });

  it("keeps no table of the removed heartbeat scaffold", async () => {
    const stub = env.TENANT.getByName("no-heartbeat-tenant");
    await stub.ping();
    await runInDurableObject(stub, async (_instance: TenantDurableObject, state) => {
      const tables = state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'agent_runs'")
        .toArray();
      expect(tables).toEqual([]);
    });
  });
});
