/**
 * Append-only schema migrations for a Durable Object's SQLite storage. Each
 * capability of the tenant object declares the migrations of the tables it
 * owns; `tenant-migrations.ts` lists them in the one order every object
 * applies them. A migration runs once per object, in order, inside
 * blockConcurrencyWhile so no request sees a half-built schema.
 */
export interface SqliteMigration {
  /** Unique and never reused, e.g. "core/1". */
  id: string;
  sql: string;
}

/**
 * Thrown when what an object has applied is not a prefix of the declared list:
 * a migration was edited away, renamed or moved. Applying the rest would build
 * a schema no other object has, so the object refuses to start instead.
 */
export class MigrationOrderError extends Error {
  override name = "MigrationOrderError";
}

export function applySqliteMigrations(sql: SqlStorage, migrations: readonly SqliteMigration[]): void {
  sql.exec("CREATE TABLE IF NOT EXISTS _migrations (id TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
  // rowid is insertion order: the order this object applied them in.
  const applied = sql
    .exec<{ id: string }>("SELECT id FROM _migrations ORDER BY rowid")
    .toArray()
    .map((row) => row.id);
  applied.forEach((id, index) => {
    const declared = migrations[index]?.id;
    if (declared !== id) {
      throw new MigrationOrderError(
        `SQLite migrations are append-only: applied #${index + 1} is "${id}" but the list declares ` +
          `${declared === undefined ? "nothing there" : `"${declared}"`}. Add a new migration at the end; ` +
          "never edit, remove or reorder one that has shipped.",
      );
    }
  });
  for (const migration of migrations.slice(applied.length)) {
    sql.exec(migration.sql);
    sql.exec("INSERT INTO _migrations (id, applied_at) VALUES (?, ?)", migration.id, Date.now());
  }
}

/**
 * The declared list in history order, built from the migrations each
 * capability owns. Every owned migration must be named in `history` exactly
 * once, so a capability's new migration cannot be forgotten or slotted into
 * the middle by accident.
 */
export function migrationsInOrder(
  history: readonly string[],
  owned: readonly (readonly SqliteMigration[])[],
): SqliteMigration[] {
  const byId = new Map<string, SqliteMigration>();
  for (const migration of owned.flat()) {
    if (byId.has(migration.id)) throw new MigrationOrderError(`SQLite migration "${migration.id}" is declared twice`);
    byId.set(migration.id, migration);
  }
  const ordered = history.map((id, index) => {
    const migration = byId.get(id);
    if (history.indexOf(id) !== index) throw new MigrationOrderError(`SQLite migration "${id}" is listed twice`);
    if (!migration)
      throw new MigrationOrderError(`SQLite migration "${id}" is in the history but no capability owns it`);
    return migration;
  });
  for (const id of history) byId.delete(id);
  const unlisted = [...byId.keys()];
  if (unlisted.length > 0) {
    throw new MigrationOrderError(
      `SQLite migrations not in the history (append them at its end): ${unlisted.join(", ")}`,
    );
  }
  return ordered;
}
