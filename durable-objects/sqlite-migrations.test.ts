import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applySqliteMigrations, MigrationOrderError, migrationsInOrder } from "./sqlite-migrations";
import type { TenantDurableObject } from "./tenant";
import { TENANT_MIGRATIONS } from "./tenant-migrations";

/** Runs `check` on the SQLite storage of a fresh tenant object, which has applied TENANT_MIGRATIONS. */
async function inFreshObject(check: (sql: SqlStorage) => void): Promise<void> {
  const stub = env.TENANT.getByName(`migrations-${crypto.randomUUID()}`);
  await stub.ping();
  await runInDurableObject(stub, async (_instance: TenantDurableObject, state) => check(state.storage.sql));
}

const appliedIds = (sql: SqlStorage) =>
  sql
    .exec<{ id: string }>("SELECT id FROM _migrations ORDER BY rowid")
    .toArray()
    .map((row) => row.id);

describe("SQLite migrations are append-only", () => {
  it("refuses: a list whose shipped migrations were reordered", async () => {
    await inFreshObject((sql) => {
      const [first, second, ...rest] = TENANT_MIGRATIONS;
      const reordered = [second, first, ...rest].filter((m) => m !== undefined);
      expect(() => applySqliteMigrations(sql, reordered)).toThrow(MigrationOrderError);
    });
  });

  it("refuses: a list with a shipped migration removed or renamed, applying nothing after it", async () => {
    await inFreshObject((sql) => {
      const removed = TENANT_MIGRATIONS.filter((_, index) => index !== 2);
      const appended = { id: "test/appended", sql: "CREATE TABLE appended_after_removal (x INTEGER)" };
      expect(() => applySqliteMigrations(sql, [...removed, appended])).toThrow(/append-only: applied #3/);
      const renamed = TENANT_MIGRATIONS.map((m, index) => (index === 2 ? { ...m, id: `${m.id}-renamed` } : m));
      expect(() => applySqliteMigrations(sql, renamed)).toThrow(MigrationOrderError);
      const tables = sql.exec("SELECT name FROM sqlite_master WHERE name = 'appended_after_removal'").toArray();
      expect(tables).toEqual([]);
    });
  });

  it("refuses: a shorter list than the object has applied", async () => {
    await inFreshObject((sql) => {
      expect(() => applySqliteMigrations(sql, TENANT_MIGRATIONS.slice(0, -1))).toThrow(/declares nothing there/);
    });
  });

  it("applies a migration appended at the end exactly once, after the others", async () => {
    await inFreshObject((sql) => {
      const appended = [...TENANT_MIGRATIONS, { id: "test/1", sql: "CREATE TABLE appended (x INTEGER)" }];
      applySqliteMigrations(sql, appended);
      applySqliteMigrations(sql, appended);
      expect(appliedIds(sql)).toEqual(appended.map((m) => m.id));
    });
  });

  it("refuses: a capability migration left out of the history, or a history naming one nobody owns", () => {
    const owned = [
      [{ id: "a/1", sql: "" }],
      [
        { id: "b/1", sql: "" },
        { id: "b/2", sql: "" },
      ],
    ];
    expect(migrationsInOrder(["a/1", "b/1", "b/2"], owned).map((m) => m.id)).toEqual(["a/1", "b/1", "b/2"]);
    expect(() => migrationsInOrder(["a/1", "b/1"], owned)).toThrow(/not in the history.*b\/2/);
    expect(() => migrationsInOrder(["a/1", "b/1", "b/2", "c/1"], owned)).toThrow(/no capability owns it/);
    expect(() => migrationsInOrder(["a/1", "b/1", "a/1", "b/2"], owned)).toThrow(/listed twice/);
  });
});
