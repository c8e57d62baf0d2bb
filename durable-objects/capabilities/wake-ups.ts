import type { Timer } from "../alarm-scheduler";
import type { SqliteMigration } from "../sqlite-migrations";

/**
 * Wake-ups: long-running work that must survive a dead runner and a lost
 * queue message (a campaign sending for hours, across a restart of the
 * whole stack). Each wake-up names a task and its params and when it is
 * next due; the object's alarm sends its queue message then, and sets the
 * next due time a watchdog's interval later. A live runner moves its own
 * wake-up forward as it goes (and says when it wants to run next); a dead
 * one stops doing so, and the watchdog sends the work out again. The work
 * itself must tolerate a second runner: it claims what it does.
 */
export const wakeUpMigrations: readonly SqliteMigration[] = [
  {
    id: "wake-ups/1",
    sql: `CREATE TABLE wake_ups (
            key TEXT PRIMARY KEY,
            task TEXT NOT NULL,
            params TEXT NOT NULL,
            due_at INTEGER NOT NULL,
            runner TEXT,
            lease_until INTEGER
          )`,
  },
];

/** After sending a wake-up's message, the next one follows this much later unless the runner moves it. */
export const WATCHDOG_MS = 30_000;

interface WakeUpMessage {
  task: string;
  tenantId: string;
  params: unknown;
}

export interface WakeUpsHost {
  sql: SqlStorage;
  now(): number;
  scheduleBy(at: number): Promise<void>;
  tenantId(): string | undefined;
  send(message: WakeUpMessage): Promise<void>;
}

export class WakeUps {
  readonly timers: readonly Timer[] = [
    {
      name: "wake-ups",
      nextDue: () =>
        this.host.sql.exec<{ due: number | null }>("SELECT MIN(due_at) AS due FROM wake_ups").one().due ?? undefined,
      run: (now) => this.sendDue(now),
    },
  ];

  constructor(private readonly host: WakeUpsHost) {}

  /** Creates a wake-up, or brings it forward: its message goes out at `dueAt` (and every WATCHDOG_MS after, until moved or stopped). */
  async set(key: string, task: string, params: unknown, dueAt: number): Promise<void> {
    this.host.sql.exec(
      `INSERT INTO wake_ups (key, task, params, due_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET task = excluded.task, params = excluded.params,
         due_at = MIN(wake_ups.due_at, excluded.due_at)`,
      key,
      task,
      JSON.stringify(params),
      dueAt,
    );
    await this.host.scheduleBy(dueAt);
  }

  /**
   * A runner takes the work for `leaseMs` (and renews the same way). Refused
   * while another runner's lease is live, or when the wake-up was stopped.
   * While held, the watchdog waits for the lease to run out.
   */
  async hold(key: string, runner: string, leaseMs: number): Promise<boolean> {
    const now = this.host.now();
    const row = this.host.sql
      .exec<{ runner: string | null; lease_until: number | null }>(
        "SELECT runner, lease_until FROM wake_ups WHERE key = ?",
        key,
      )
      .toArray()[0];
    if (!row) return false;
    if (row.runner && row.runner !== runner && (row.lease_until ?? 0) > now) return false;
    const until = now + leaseMs;
    this.host.sql.exec(
      "UPDATE wake_ups SET runner = ?, lease_until = ?, due_at = ? WHERE key = ?",
      runner,
      until,
      until + WATCHDOG_MS,
      key,
    );
    await this.host.scheduleBy(until + WATCHDOG_MS);
    return true;
  }

  /** The runner is done for now: the next message goes at `nextDueAt`. */
  async release(key: string, runner: string, nextDueAt: number): Promise<void> {
    this.host.sql.exec(
      "UPDATE wake_ups SET runner = NULL, lease_until = NULL, due_at = ? WHERE key = ? AND runner = ?",
      nextDueAt,
      key,
      runner,
    );
    await this.host.scheduleBy(nextDueAt);
  }

  stop(key: string): void {
    this.host.sql.exec("DELETE FROM wake_ups WHERE key = ?", key);
  }

  dueAt(key: string): number | undefined {
    return this.host.sql.exec<{ due_at: number }>("SELECT due_at FROM wake_ups WHERE key = ?", key).toArray()[0]
      ?.due_at;
  }

  private async sendDue(now: number): Promise<void> {
    const tenantId = this.host.tenantId();
    if (!tenantId) return;
    const due = this.host.sql
      .exec<{ key: string; task: string; params: string }>(
        "SELECT key, task, params FROM wake_ups WHERE due_at <= ? ORDER BY due_at LIMIT 50",
        now,
      )
      .toArray();
    for (const wakeUp of due) {
      // Moved first: a send that throws is retried by the alarm, and a sent one is not repeated at once.
      this.host.sql.exec("UPDATE wake_ups SET due_at = ? WHERE key = ?", now + WATCHDOG_MS, wakeUp.key);
      await this.host.send({ task: wakeUp.task, tenantId, params: JSON.parse(wakeUp.params) });
    }
  }
}
