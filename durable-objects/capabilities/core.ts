import type { SqliteMigration } from "../sqlite-migrations";

/**
 * The object's own small facts in a key/value `meta` table: which tenant it
 * serves, and the health probe's ping counter.
 */
export const coreMigrations: readonly SqliteMigration[] = [
  {
    id: "core/1",
    sql: `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
          CREATE TABLE agent_runs (message_id TEXT PRIMARY KEY, task TEXT NOT NULL, ran_at INTEGER NOT NULL);`,
  },
  // The heartbeat agent that wrote agent_runs is gone; migrations only ever append, so its table is dropped here.
  { id: "core/2", sql: "DROP TABLE IF EXISTS agent_runs" },
];

interface CoreHost {
  sql: SqlStorage;
}

export interface PingResult {
  ok: true;
  /** How many pings this object has stored: proof that a write reached durable storage. */
  pings: number;
  databaseSize: number;
}

export class TenantCore {
  constructor(private readonly host: CoreHost) {}

  /**
   * The object knows its tenant only when told (the id it was reached by is a
   * hash); timers need it to address queue messages. The first caller's id stays.
   */
  remember(tenantId: string): void {
    this.host.sql.exec("INSERT INTO meta (key, value) VALUES ('tenant_id', ?) ON CONFLICT (key) DO NOTHING", tenantId);
  }

  tenantId(): string | undefined {
    return this.host.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'tenant_id'").toArray()[0]?.value;
  }

  /** Writes and reads storage, so a healthy answer means the object's SQLite works. */
  ping(): PingResult {
    const { sql } = this.host;
    sql.exec(
      `INSERT INTO meta (key, value) VALUES ('pings', '1')
       ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
    );
    const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'pings'").one();
    return { ok: true, pings: Number(row.value), databaseSize: sql.databaseSize };
  }
}
