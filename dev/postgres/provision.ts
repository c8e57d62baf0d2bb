/**
 * Finds or makes the Postgres that dev and tests use:
 *   a given URL (DATABASE_URL / TEST_DATABASE_URL)   → used as is, or, for tests,
 *                                                     a fresh database on that server;
 *   none                                             → embedded PGlite served on TCP.
 * Either way the result is a postgres:// URL that every client can dial.
 */
import { mkdirSync } from "node:fs";
import pg from "pg";
import { servePglite } from "./pglite-server.ts";

export interface ProvisionedDatabase {
  url: string;
  kind: "external" | "embedded";
  close(): Promise<void>;
}

export async function externalDatabase(url: string): Promise<ProvisionedDatabase> {
  return { url, kind: "external", close: async () => undefined };
}

/** A throwaway database on the server at `serverUrl`, dropped by close(). */
export async function createFreshDatabase(serverUrl: string, prefix = "apex_test"): Promise<ProvisionedDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: "external",
    async close() {
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

/** Embedded Postgres: `dataDir` keeps data between runs; undefined keeps it in memory. */
export async function startEmbedded(options: { port: number; dataDir?: string }): Promise<ProvisionedDatabase> {
  const { PGlite } = await import("@electric-sql/pglite");
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ?? "memory://");
  const server = await servePglite(db, options.port);
  return {
    url: server.url,
    kind: "embedded",
    async close() {
      await server.close();
      await db.close();
    },
  };
}

/** Waits until a server answers `select 1` (a fresh local Postgres may still be starting). */
export async function waitForPostgres(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query("select 1");
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`Postgres at ${redact(url)} did not answer: ${String(error)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

export function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}
