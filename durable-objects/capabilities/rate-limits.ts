import type { SqliteMigration } from "../sqlite-migrations";

/**
 * Token buckets, one row per key. Refill is computed from elapsed time on each
 * take, so no timer is needed. Runs inside the tenant object, whose single
 * thread makes read-modify-write safe without locks.
 */
export const rateLimitMigrations: readonly SqliteMigration[] = [
  {
    id: "rate-limits/1",
    sql: "CREATE TABLE rate_buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at INTEGER NOT NULL)",
  },
];

export interface BucketPolicy {
  capacity: number;
  refillPerSecond: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until one token is available; 0 when allowed. */
  retryAfterSeconds: number;
}

interface RateLimitsHost {
  sql: SqlStorage;
  now(): number;
}

function decision(policy: BucketPolicy, allowed: boolean, tokensLeft: number): RateDecision {
  return {
    allowed,
    limit: policy.capacity,
    remaining: Math.floor(tokensLeft),
    resetSeconds: Math.ceil((policy.capacity - tokensLeft) / policy.refillPerSecond),
    retryAfterSeconds: allowed ? 0 : Math.ceil((1 - tokensLeft) / policy.refillPerSecond),
  };
}

export class RateLimits {
  constructor(private readonly host: RateLimitsHost) {}

  take(key: string, policy: BucketPolicy): RateDecision {
    const now = this.host.now();
    const available = this.tokensAt(key, policy, now);
    const allowed = available >= 1;
    const tokens = allowed ? available - 1 : available;
    this.host.sql.exec(
      `INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
      key,
      tokens,
      now,
    );
    return decision(policy, allowed, tokens);
  }

  /**
   * What `take` would decide, without spending: lets a caller refuse early
   * and charge only the requests that turn out to deserve it.
   */
  peek(key: string, policy: BucketPolicy): RateDecision {
    const available = this.tokensAt(key, policy, this.host.now());
    return decision(policy, available >= 1, available);
  }

  /** The bucket's tokens at `now`: what is stored, refilled for the time since. A new key starts full. */
  private tokensAt(key: string, policy: BucketPolicy, now: number): number {
    const row = this.host.sql
      .exec<{ tokens: number; updated_at: number }>("SELECT tokens, updated_at FROM rate_buckets WHERE key = ?", key)
      .toArray()[0];
    if (!row) return policy.capacity;
    const elapsed = Math.max(0, now - row.updated_at) / 1000;
    return Math.min(policy.capacity, row.tokens + elapsed * policy.refillPerSecond);
  }
}
