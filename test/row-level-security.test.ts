import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase } from "../schema/db";
import { auditLog, entities, projects, tenants } from "../schema/tables";
import { withSystem, withTenant } from "../schema/tenant-transaction";

let handle: DatabaseHandle;
const seeded: Record<"a" | "b", { tenantId: string; entityId: string }> = {
  a: { tenantId: "", entityId: "" },
  b: { tenantId: "", entityId: "" },
};

async function seedTenant(name: string): Promise<{ tenantId: string; entityId: string }> {
  const [tenant] = await withSystem(handle.db, (tx) => tx.insert(tenants).values({ name }).returning());
  if (!tenant) throw new Error("tenant not created");
  return withTenant(handle.db, tenant.id, async (tx) => {
    const [project] = await tx
      .insert(projects)
      .values({ tenantId: tenant.id, name: `${name} plumbing` })
      .returning();
    if (!project) throw new Error("project not created");
    const [entity] = await tx
      .insert(entities)
      .values({
        tenantId: tenant.id,
        projectId: project.id,
        type: "lead",
        name: `${name}'s lead`,
        data: { phone: "+15550001" },
      })
      .returning();
    await tx.insert(auditLog).values({
      tenantId: tenant.id,
      actorType: "system",
      requestId: "seed",
      action: "entity.create",
      authMethod: "system",
    });
    return { tenantId: tenant.id, entityId: entity?.id ?? "" };
  });
}

/** drizzle wraps Postgres's error; the reason Postgres gave is the cause. */
async function postgresRefusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause;
    return cause?.message ?? String(error);
  }
  throw new Error("expected Postgres to refuse, but the statement succeeded");
}

beforeAll(async () => {
  handle = openDatabase(env);
  seeded.a = await seedTenant("Alpha");
  seeded.b = await seedTenant("Bravo");
});

afterAll(async () => {
  await handle.close();
});

describe("row-level security behind the repository helper", () => {
  it("a tenant's transaction sees only its own rows even when the query has no tenant filter", async () => {
    const rows = await withTenant(handle.db, seeded.a.tenantId, (tx) => tx.select().from(entities));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.tenantId === seeded.a.tenantId)).toBe(true);
    expect(rows.map((row) => row.id)).not.toContain(seeded.b.entityId);
  });

  it("asking for another tenant's row by id finds nothing", async () => {
    const rows = await withTenant(handle.db, seeded.a.tenantId, (tx) =>
      tx.select().from(entities).where(eq(entities.id, seeded.b.entityId)),
    );
    expect(rows).toEqual([]);
  });

  it("the application role with no tenant set sees no rows at all", async () => {
    const count = await handle.db.transaction(async (tx) => {
      await tx.execute(sql`set local role apex_app`);
      const result = await tx.execute<{ n: string }>(sql`select count(*)::text as n from entities`);
      return result.rows[0]?.n;
    });
    expect(count).toBe("0");
  });

  it("writing a row for another tenant is refused by the policy", async () => {
    const attempt = withTenant(handle.db, seeded.a.tenantId, async (tx) => {
      const [projectOfA] = await tx.select().from(projects).limit(1);
      await tx.insert(entities).values({
        tenantId: seeded.b.tenantId,
        projectId: projectOfA?.id ?? "",
        type: "lead",
        name: "smuggled",
      });
    });
    expect(await postgresRefusal(attempt)).toMatch(/row-level security/);
  });

  it("updating another tenant's row by id changes nothing", async () => {
    const updated = await withTenant(handle.db, seeded.a.tenantId, (tx) =>
      tx.update(entities).set({ name: "hijacked" }).where(eq(entities.id, seeded.b.entityId)).returning(),
    );
    expect(updated).toEqual([]);
    const [row] = await withTenant(handle.db, seeded.b.tenantId, (tx) =>
      tx.select().from(entities).where(eq(entities.id, seeded.b.entityId)),
    );
    expect(row?.name).toBe("Bravo's lead");
  });

  it("the tenant setting does not outlive its transaction on a reused connection", async () => {
    await withTenant(handle.db, seeded.a.tenantId, (tx) => tx.select().from(entities));
    const leaked = await handle.db.transaction(async (tx) => {
      await tx.execute(sql`set local role apex_app`);
      const result = await tx.execute<{ n: string }>(sql`select count(*)::text as n from entities`);
      return result.rows[0]?.n;
    });
    expect(leaked).toBe("0");
  });

  it("the audit log is append-only for the application role", async () => {
    const attempt = withTenant(handle.db, seeded.a.tenantId, (tx) => tx.delete(auditLog));
    expect(await postgresRefusal(attempt)).toMatch(/permission denied/);
    const update = withTenant(handle.db, seeded.a.tenantId, (tx) => tx.update(auditLog).set({ action: "forged" }));
    expect(await postgresRefusal(update)).toMatch(/permission denied/);
  });

  it("the system role used for identity lookups cannot read entities", async () => {
    const attempt = withSystem(handle.db, (tx) => tx.select().from(entities));
    expect(await postgresRefusal(attempt)).toMatch(/permission denied/);
  });

  it("withTenant refuses anything but a tenant uuid", async () => {
    await expect(withTenant(handle.db, "' or 1=1 --", async () => 1)).rejects.toThrow(TypeError);
  });
});
