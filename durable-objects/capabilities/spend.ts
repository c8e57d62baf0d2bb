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
  {
    // The highest alert threshold (80, 100) the owner has been told of this month.
    id: "spend/2",
    sql: "ALTER TABLE project_spend ADD COLUMN alerted_percent INTEGER NOT NULL DEFAULT 0",
  },
];

/** Percentages of the cap at which the owner is alerted, once each per month (and again after a raise). */
export const ALERT_PERCENTS = [80, 100] as const;
export type AlertPercent = (typeof ALERT_PERCENTS)[number];

export interface SpendState {
  totalMicros: number;
  capMicros: number | null;
  paused: boolean;
}

export type SpendReservation =
  /** Not seeded this month: the caller loads the total from Postgres and calls seedSpend. */
  | { outcome: "unknown" }
  /**
   * A spend that happened is always counted, cap or no cap (the gate decides
   * before spending, not here). `crossedCap`: this one took the project to its
   * cap; `alert`: the threshold the owner is to be told of now, at most once.
   */
  | ({ outcome: "reserved"; crossedCap: boolean; alert: AlertPercent | undefined } & SpendState);

type Row = {
  total_micros: number;
  cap_micros: number | null;
  alerted_percent: number;
};

const isPaused = (total: number, cap: number | null) => cap !== null && total >= cap;

/** The highest alert threshold `total` has reached under `cap` (0 for none, or no cap). */
function reachedPercent(total: number, cap: number | null): number {
  if (cap === null) return 0;
  const reached = ALERT_PERCENTS.filter((percent) => total * 100 >= cap * percent);
  return reached.at(-1) ?? 0;
}

interface SpendHost {
  sql: SqlStorage;
}

export class Spend {
  constructor(private readonly host: SpendHost) {}

  state(projectId: string, month: string): SpendState | undefined {
    const row = this.row(projectId, month);
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

  private row(projectId: string, month: string): Row | undefined {
    return this.host.sql
      .exec<Row>(
        "SELECT total_micros, cap_micros, alerted_percent FROM project_spend WHERE project_id = ? AND month = ?",
        projectId,
        month,
      )
      .toArray()[0];
  }

  reserve(projectId: string, month: string, costMicros: number): SpendReservation {
    const current = this.row(projectId, month);
    if (!current) return { outcome: "unknown" };
    const capMicros = current.cap_micros;
    const totalMicros = current.total_micros + costMicros;
    const reached = reachedPercent(totalMicros, capMicros);
    const alert = reached > current.alerted_percent ? (reached as AlertPercent) : undefined;
    this.host.sql.exec(
      "UPDATE project_spend SET total_micros = ?, alerted_percent = MAX(alerted_percent, ?) WHERE project_id = ? AND month = ?",
      totalMicros,
      reached,
      projectId,
      month,
    );
    const paused = isPaused(totalMicros, capMicros);
    const crossedCap = paused && !isPaused(current.total_micros, capMicros);
    return { outcome: "reserved", totalMicros, capMicros, paused, crossedCap, alert };
  }

  /** Gives a reservation back when its usage row was not written (a replay, or Postgres failed), and its alert mark. */
  release(projectId: string, month: string, costMicros: number): void {
    const current = this.row(projectId, month);
    if (!current) return;
    const totalMicros = Math.max(0, current.total_micros - costMicros);
    // An alert this reservation marked but never got to send is owed again when the total really gets there.
    const alerted = Math.min(current.alerted_percent, reachedPercent(totalMicros, current.cap_micros));
    this.host.sql.exec(
      "UPDATE project_spend SET total_micros = ?, alerted_percent = ? WHERE project_id = ? AND month = ?",
      totalMicros,
      alerted,
      projectId,
      month,
    );
  }

  /**
   * A new cap applies at once: raising it above the total un-pauses the project,
   * and the alerts start over from what the total has reached under the new cap
   * (a raise from $50 to $100 at $45 alerts again at $80).
   */
  setCap(projectId: string, month: string, capMicros: number | null, totalIfUnseeded: number): SpendState {
    this.host.sql.exec(
      `INSERT INTO project_spend (project_id, month, total_micros, cap_micros) VALUES (?, ?, ?, ?)
       ON CONFLICT (project_id, month) DO UPDATE SET cap_micros = excluded.cap_micros`,
      projectId,
      month,
      totalIfUnseeded,
      capMicros,
    );
    const state = this.state(projectId, month) as SpendState;
    this.host.sql.exec(
      "UPDATE project_spend SET alerted_percent = ? WHERE project_id = ? AND month = ?",
      reachedPercent(state.totalMicros, capMicros),
      projectId,
      month,
    );
    return state;
  }
}
