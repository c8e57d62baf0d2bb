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

/**
 * How stale a bucket's stored row may be. Buckets are worked in memory, and
 * a take that is not stored at once is written back by a timer this long
 * after it (a refusal is always stored at once), because a write on every
 * request was a measurable share of each API request's object call
 * (decision 032). The timer matters: an idle object is evicted after some
 * seconds, and without it a caller could empty a bucket, wait for the
 * eviction and find it full again, over and over. What is left: an object
 * that dies within this window (a deploy, a crash) forgets that window's
 * takes.
 */
export const BUCKET_WRITE_BACK_MS = 1_000;

interface Bucket {
  tokens: number;
  updatedAt: number;
  storedAt: number;
}

export class RateLimits {
  private readonly buckets = new Map<string, Bucket>();
  /** Taken from since they were last stored; the write-back timer stores them. */
  private readonly unstored = new Set<string>();
  private writeBack: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: RateLimitsHost) {}

  take(key: string, policy: BucketPolicy): RateDecision {
    const now = this.host.now();
    const bucket = this.bucket(key, now);
    const available = refilled(bucket, policy, now);
    const allowed = available >= 1;
    bucket.tokens = allowed ? available - 1 : available;
    bucket.updatedAt = now;
    if (!allowed || now - bucket.storedAt >= BUCKET_WRITE_BACK_MS) this.store(key, bucket, now);
    else this.storeLater(key);
    return decision(policy, allowed, bucket.tokens);
  }

  /**
   * What `take` would decide, without spending: lets a caller refuse early
   * and charge only the requests that turn out to deserve it.
   */
  peek(key: string, policy: BucketPolicy): RateDecision {
    const now = this.host.now();
    const available = refilled(this.bucket(key, now), policy, now);
    return decision(policy, available >= 1, available);
  }

  /** Stores every bucket taken from since it was last stored: one write for the window. */
  storeUnstored(): void {
    this.writeBack = undefined;
    const now = this.host.now();
    for (const key of this.unstored) {
      const bucket = this.buckets.get(key);
      if (bucket) this.store(key, bucket, now);
    }
  }

  /** The bucket in memory, else as stored, else a new one (it starts full: `tokens` is Infinity until capped). */
  private bucket(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const row = this.host.sql
        .exec<{ tokens: number; updated_at: number }>("SELECT tokens, updated_at FROM rate_buckets WHERE key = ?", key)
        .toArray()[0];
      bucket = row
        ? { tokens: row.tokens, updatedAt: row.updated_at, storedAt: now }
        : { tokens: Number.POSITIVE_INFINITY, updatedAt: now, storedAt: Number.NEGATIVE_INFINITY };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private storeLater(key: string): void {
    this.unstored.add(key);
    this.writeBack ??= setTimeout(() => this.storeUnstored(), BUCKET_WRITE_BACK_MS);
  }

  private store(key: string, bucket: Bucket, now: number): void {
    this.host.sql.exec(
      `INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
      key,
      bucket.tokens,
      bucket.updatedAt,
    );
    bucket.storedAt = now;
    this.unstored.delete(key);
  }
}

/** The bucket's tokens at `now`: what it holds, refilled for the time since, never above capacity. */
function refilled(bucket: Bucket, policy: BucketPolicy, now: number): number {
  const elapsed = Math.max(0, now - bucket.updatedAt) / 1000;
  return Math.min(policy.capacity, bucket.tokens + elapsed * policy.refillPerSecond);
}
