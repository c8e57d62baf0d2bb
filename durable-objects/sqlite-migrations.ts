/**
 * Append-only schema migrations for a Durable Object's SQLite storage. Each
 * capability of the tenant object contributes its own list; a migration runs
 * once per object, in order, inside blockConcurrencyWhile so no request sees
 * a half-built schema.
 */
export interface SqliteMigration {
  /** Unique and never reused, e.g. "core/1". */
  id: string;
  sql: string;
}

export function applySqliteMigrations(sql: SqlStorage, migrations: readonly SqliteMigration[]): void {
  sql.exec("CREATE TABLE IF NOT EXISTS _migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const applied = new Set(
    sql
      .exec<{ id: string }>("SELECT id FROM _migrations")
      .toArray()
      .map((row) => row.id),
  );
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue;
    sql.exec(migration.sql);
    sql.exec("INSERT INTO _migrations (id, applied_at) VALUES (?, ?)", migration.id, Date.now());
  }
}
