import type { SqliteMigration } from "../sqlite-migrations";

/**
 * The running month total per project, so a spend check costs no Postgres
 * query (checked against the project's monthly cap). Postgres stays the
 * record: a row here is seeded from its monthly SUM the first time a project
 * spends in a month, then kept current by every reservation. The object's
 * single thread orders concurrent reservations, so two agents cannot both
 * slip under the cap on the same stale total.
 */
export const spendMigrations: readonly SqliteMigration[] = [
  {
    id: "spend/1",
    sql: `CREATE TABLE project_spend (
            project_id TEXT NOT NULL,
            month TEXT NOT NULL,
            total_micros INTEGER NOT NULL,
            cap_micros INTEGER,
            PRIMARY KEY (project_id, month)
          )`,
  },
];

export interface SpendState {
  totalMicros: number;
  capMicros: number | null;
  paused: boolean;
}

export type SpendReservation =
  /** Not seeded this month: the caller loads the total from Postgres and calls seedSpend. */
  | { outcome: "unknown" }
  | ({ outcome: "paused" } & SpendState)
  /** `crossedCap`: this reservation took the project to its cap; it is paused from now on. */
  | ({ outcome: "reserved"; crossedCap: boolean } & SpendState);

type Row = {
  total_micros: number;
  cap_micros: number | null;
};

const isPaused = (total: number, cap: number | null) => cap !== null && total >= cap;

interface SpendHost {
  sql: SqlStorage;
}

export class Spend {
  constructor(private readonly host: SpendHost) {}

  state(projectId: string, month: string): SpendState | undefined {
    const row = this.host.sql
      .exec<Row>(
        "SELECT total_micros, cap_micros FROM project_spend WHERE project_id = ? AND month = ?",
        projectId,
        month,
      )
      .toArray()[0];
    if (!row) return undefined;
    return {
      totalMicros: row.total_micros,
      capMicros: row.cap_micros,
      paused: isPaused(row.total_micros, row.cap_micros),
    };
  }

  /** First seed wins: a later one may carry a total that already includes a reservation made here. */
  seed(projectId: string, month: string, totalMicros: number, capMicros: number | null): SpendState {
    this.host.sql.exec(
      `INSERT INTO project_spend (project_id, month, total_micros, cap_micros) VALUES (?, ?, ?, ?)
       ON CONFLICT (project_id, month) DO NOTHING`,
      projectId,
      month,
      totalMicros,
      capMicros,
    );
    return this.state(projectId, month) as SpendState;
  }

  reserve(projectId: string, month: string, costMicros: number): SpendReservation {
    const current = this.state(projectId, month);
    if (!current) return { outcome: "unknown" };
    if (current.paused) return { outcome: "paused", ...current };
    const totalMicros = current.totalMicros + costMicros;
    this.host.sql.exec(
      "UPDATE project_spend SET total_micros = ? WHERE project_id = ? AND month = ?",
      totalMicros,
      projectId,
      month,
    );
    const paused = isPaused(totalMicros, current.capMicros);
    return { outcome: "reserved", totalMicros, capMicros: current.capMicros, paused, crossedCap: paused };
  }

  /** Gives a reservation back when its usage row was not written (a replay, or Postgres failed). */
  release(projectId: string, month: string, costMicros: number): void {
    this.host.sql.exec(
      "UPDATE project_spend SET total_micros = MAX(0, total_micros - ?) WHERE project_id = ? AND month = ?",
      costMicros,
      projectId,
      month,
    );
  }

  /** A new cap applies at once: raising it above the total un-pauses the project. */
  setCap(projectId: string, month: string, capMicros: number | null, totalIfUnseeded: number): SpendState {
    this.host.sql.exec(
      `INSERT INTO project_spend (project_id, month, total_micros, cap_micros) VALUES (?, ?, ?, ?)
       ON CONFLICT (project_id, month) DO UPDATE SET cap_micros = excluded.cap_micros`,
      projectId,
      month,
      totalIfUnseeded,
      capMicros,
    );
    return this.state(projectId, month) as SpendState;
  }
}
