import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase } from "../schema/db";
import { projects, tenants } from "../schema/tables";
import { inOneTenantTransaction, withSystem, withTenant } from "../schema/tenant-transaction";

let handle: DatabaseHandle;
let tenantA = "";
let tenantB = "";

const backendPid = async (db: DatabaseHandle["db"], tenantId: string) =>
  withTenant(db, tenantId, async (tx) => {
    const rows = await tx.execute<{ pid: number; xid: string }>(
      sql`select pg_backend_pid() as pid, txid_current()::text as xid`,
    );
    return rows.rows[0];
  });

beforeAll(async () => {
  handle = openDatabase(env);
  const made = await withSystem(handle.db, (tx) =>
    tx
      .insert(tenants)
      .values([{ name: "Joined A" }, { name: "Joined B" }])
      .returning(),
  );
  tenantA = made[0]?.id ?? "";
  tenantB = made[1]?.id ?? "";
});

afterAll(async () => {
  await handle.close();
});

describe("several services' tenant transactions as one", () => {
  it("every withTenant inside runs in the one transaction, under the tenant's settings", async () => {
    const seen = await inOneTenantTransaction(handle.db, tenantA, async (joined) => {
      const first = await backendPid(joined, tenantA);
      const second = await backendPid(joined, tenantA);
      const setting = await withTenant(joined, tenantA, async (tx) =>
        tx.execute<{ tenant: string; role: string }>(
          sql`select current_setting('app.tenant_id') as tenant, current_user as role`,
        ),
      );
      return { first, second, setting: setting.rows[0] };
    });
    expect(seen.first?.xid).toBe(seen.second?.xid);
    expect(seen.setting).toEqual({ tenant: tenantA, role: "apex_app" });
  });

  it("a tenant's own transactions outside it are separate transactions", async () => {
    const first = await backendPid(handle.db, tenantA);
    const second = await backendPid(handle.db, tenantA);
    expect(first?.xid).not.toBe(second?.xid);
  });

  it("another tenant's work is refused inside it", async () => {
    await expect(
      inOneTenantTransaction(handle.db, tenantA, async (joined) => withTenant(joined, tenantB, async () => "never")),
    ).rejects.toThrow(/one tenant cannot serve another/);
  });

  it("a failure anywhere inside rolls back everything written inside", async () => {
    const name = `Joined ${crypto.randomUUID()}`;
    await expect(
      inOneTenantTransaction(handle.db, tenantA, async (joined) => {
        await withTenant(joined, tenantA, (tx) => tx.insert(projects).values({ tenantId: tenantA, name }));
        await withTenant(joined, tenantA, async () => {
          throw new Error("the second service broke");
        });
      }),
    ).rejects.toThrow("the second service broke");
    const left = await withTenant(handle.db, tenantA, (tx) =>
      tx.select().from(projects).where(eq(projects.name, name)),
    );
    expect(left).toHaveLength(0);
  });

  it("begin and the settings in one round trip still leave row-level security on", async () => {
    const name = `Visible to A only ${crypto.randomUUID()}`;
    await withTenant(handle.db, tenantA, (tx) => tx.insert(projects).values({ tenantId: tenantA, name }));
    const asA = await withTenant(handle.db, tenantA, (tx) => tx.select().from(projects).where(eq(projects.name, name)));
    const asB = await withTenant(handle.db, tenantB, (tx) => tx.select().from(projects).where(eq(projects.name, name)));
    expect(asA).toHaveLength(1);
    expect(asB).toHaveLength(0);
  });
});
