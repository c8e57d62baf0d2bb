/**
 * Opens Postgres for one request. Production: Neon's serverless driver over
 * WebSockets. Locally the same driver reaches any Postgres through the
 * WebSocket→TCP relay in dev/relay.ts (what Neon's wsproxy does).
 */
import { neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";

/**
 * No relational schema: Apex writes its queries with the query builder, and
 * drizzle would otherwise rebuild the relations of every table each time a
 * request opens the database (a measured 0.4 ms of the Worker's one thread per
 * request under load).
 */
export type Database = ReturnType<typeof drizzle<Record<string, never>>>;

interface DatabaseConfig {
  DATABASE_URL: string;
  /** host:port of a local relay; empty in production. */
  NEON_WS_PROXY?: string;
}

function configureDriver(config: DatabaseConfig): void {
  const proxy = config.NEON_WS_PROXY;
  if (proxy) {
    // The relay ignores the requested address and dials only its configured
    // database, so `address` here is informational.
    neonConfig.wsProxy = (host, port) => `${proxy}/v2?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  } else {
    neonConfig.wsProxy = (host) => `${host}/v2`;
    neonConfig.useSecureWebSocket = true;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = "password";
  }
}

export interface DatabaseHandle {
  db: Database;
  /** Ends the pool; call it through ctx.waitUntil once the response is built. */
  close(): Promise<void>;
}

/**
 * Which work a connection serves, named to Postgres as application_name
 * (`apex:request`, `apex:urgent`, `apex:bulk`): pg_stat_activity shows it, and
 * the embedded dev server lets bulk work wait behind the rest (decision 030).
 */
export type DatabaseLane = "request" | "urgent" | "bulk";

/**
 * A pool per request: Workers cannot hold sockets across requests, and Neon
 * multiplexes on its side.
 */
export function openDatabase(config: DatabaseConfig, lane: DatabaseLane = "request"): DatabaseHandle {
  if (!config.DATABASE_URL) throw new Error("DATABASE_URL is not configured");
  configureDriver(config);
  const pool = new Pool({
    connectionString: config.DATABASE_URL,
    connectionTimeoutMillis: 5_000,
    application_name: `apex:${lane}`,
  });
  let closing = false;
  // Without a listener a dropped idle connection becomes an unhandled error.
  // Sockets torn down by our own end() are expected, not worth a log line.
  pool.on("error", (error: unknown) => {
    if (closing) return;
    const detail = error instanceof Error ? error.message : ((error as { message?: string })?.message ?? String(error));
    console.error(JSON.stringify({ level: "error", msg: "postgres pool error", error: detail }));
  });
  return {
    db: drizzle({ client: pool }),
    close: () => {
      closing = true;
      return pool.end();
    },
  };
}
