/**
 * Rate buckets for callers who are not (yet) a tenant: one object per client
 * IP, reached with `env.RATE_LIMITER.getByName(ip)`. Credential routes (sign-up,
 * log-in) and lead intakes that failed their proof spend from here, so a
 * flood of guesses never touches a tenant's object or a project's budget.
 * Its own class, not a tenant object under an `ip:` name: it needs one
 * capability and its one table, not a tenant's dozen.
 */
import { DurableObject } from "cloudflare:workers";
import { type BucketPolicy, type RateDecision, RateLimits, rateLimitMigrations } from "./capabilities/rate-limits";
import { applySqliteMigrations, migrationsInOrder } from "./sqlite-migrations";

const MIGRATIONS = migrationsInOrder(["rate-limits/1"], [rateLimitMigrations]);

export class RateLimiterObject extends DurableObject<Env> {
  private readonly buckets: RateLimits;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.buckets = new RateLimits({ sql: ctx.storage.sql, now: () => Date.now() });
    ctx.blockConcurrencyWhile(async () => applySqliteMigrations(ctx.storage.sql, MIGRATIONS));
  }

  async takeRateToken(key: string, policy: BucketPolicy): Promise<RateDecision> {
    return this.buckets.take(key, policy);
  }

  async peekRateToken(key: string, policy: BucketPolicy): Promise<RateDecision> {
    return this.buckets.peek(key, policy);
  }
}
