/**
 * A project's lead-intake gate: one object per project, reached with
 * `env.INTAKE_GATE.getByName(projectId)` before the project's tenant is known.
 * Exact copies of an intake (same body, same proof) are answered here from an
 * idempotency ledger, so a burst of retries from a form plugin costs one
 * database path, not one each. Its own class: it needs the ledger (and its
 * prune timer) and nothing else a tenant object holds.
 */
import { DurableObject } from "cloudflare:workers";
import { AlarmScheduler } from "./alarm-scheduler";
import {
  DEFAULT_RETENTION_MS,
  IdempotencyLedger,
  type LedgerBegin,
  ledgerMigrations,
  type StoredResponse,
} from "./capabilities/idempotency-ledger";
import { applySqliteMigrations, migrationsInOrder } from "./sqlite-migrations";

const MIGRATIONS = migrationsInOrder(["ledger/1"], [ledgerMigrations]);

export class IntakeGateObject extends DurableObject<Env> {
  private readonly ledger: IdempotencyLedger;
  private readonly timers: AlarmScheduler;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.ledger = new IdempotencyLedger({
      sql: ctx.storage.sql,
      now: () => Date.now(),
      scheduleBy: (at) => this.timers.scheduleBy(at),
    });
    this.timers = new AlarmScheduler(ctx.storage, this.ledger.timers);
    ctx.blockConcurrencyWhile(async () => applySqliteMigrations(ctx.storage.sql, MIGRATIONS));
  }

  async beginAction(key: string, fingerprint: string, retentionMs = DEFAULT_RETENTION_MS, waitMs = 0) {
    return this.ledger.begin(key, fingerprint, retentionMs, waitMs) as Promise<LedgerBegin>;
  }

  async completeAction(key: string, fingerprint: string, response: StoredResponse): Promise<void> {
    await this.ledger.complete([key], fingerprint, response);
  }

  async releaseAction(key: string, fingerprint: string): Promise<void> {
    this.ledger.release([key], fingerprint);
  }

  override async alarm(): Promise<void> {
    await this.timers.runDue();
  }
}
