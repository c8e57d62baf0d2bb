/**
 * `npm run deploy`: from a Cloudflare account and a Postgres (Neon) database to
 * a live Apex, idempotently — run it again after any change.
 *   1. build the web app (the Worker bundles build/server);
 *   2. bundle the Worker as it ships and check it against bench/bundle-budget.json;
 *   3. plan: the Postgres migrations pending against DATABASE_URL (all of them
 *      without one), and the queues, buckets and secrets the account needs;
 *   --- `npm run deploy -- --dry-run` stops here: no account, no database writes ---
 *   4. check that every secret in .dev.vars.example (but the optional ones) is set;
 *   5. create the queues (dead-letter queue included) and R2 buckets that
 *      wrangler.toml names and the account lacks;
 *   6. apply the migrations to DATABASE_URL;
 *   7. `wrangler deploy`, with the flags the bundle was measured with.
 * Nothing is deleted or overwritten; a missing secret stops the deploy before
 * anything in the account or the database changes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { bundleWorker, DEPLOY_FLAGS, mib, overBudget, readBudget, wrangler } from "../bench/bundle.ts";
import { migrate } from "./migrate.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dryRun = process.argv.includes("--dry-run");
const EXAMPLE_HOST = "apex.example.com";

const say = (line: string) => console.log(`[deploy] ${line}`);

function fail(message: string): never {
  console.error(`\n[deploy] ${message}`);
  process.exit(1);
}

/**
 * The names wrangler.toml gives the account's resources. wrangler.toml is
 * ours and flat, so a line match does; a new resource kind needs a line here.
 */
interface Resources {
  queues: string[];
  buckets: string[];
  publicBaseUrl?: string;
}

interface Secret {
  name: string;
  optional: boolean;
}

function accountResources(toml: string): Resources {
  const values = (key: string) =>
    [...toml.matchAll(new RegExp(`^\\s*${key}\\s*=\\s*"([^"]+)"`, "gm"))].map((m) => m[1] as string);
  return {
    queues: [...new Set([...values("queue"), ...values("dead_letter_queue")])],
    buckets: [...new Set(values("bucket_name"))],
    publicBaseUrl: values("PUBLIC_BASE_URL")[0],
  };
}

/** Secrets named in .dev.vars.example (`NAME=` lines); a comment above that says "(optional)" makes one optional. */
function declaredSecrets(example: string): Secret[] {
  const lines = example.split("\n");
  return lines.flatMap((line, i) => {
    const name = /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1];
    return name ? [{ name, optional: (lines[i - 1] ?? "").includes("(optional)") }] : [];
  });
}

interface Migration {
  tag: string;
  when: number;
}

/**
 * drizzle's own rule (drizzle-orm/pg-core dialect.migrate): a migration is
 * pending when it is newer than the newest one recorded in
 * drizzle.__drizzle_migrations. Read-only: nothing is created here.
 */
async function pendingMigrations(url: string | undefined): Promise<{ pending: Migration[]; against: string }> {
  const journal = JSON.parse(readFileSync(join(root, "schema/migrations/meta/_journal.json"), "utf8")) as {
    entries: Migration[];
  };
  if (!url) return { pending: journal.entries, against: "no DATABASE_URL: every migration, as on a new database" };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const table = await client.query<{ found: string | null }>(
      "select to_regclass('drizzle.__drizzle_migrations')::text as found",
    );
    if (!table.rows[0]?.found) return { pending: journal.entries, against: "DATABASE_URL (no migrations applied yet)" };
    const last = await client.query<{ last: string | null }>(
      "select max(created_at)::text as last from drizzle.__drizzle_migrations",
    );
    const newest = Number(last.rows[0]?.last ?? 0);
    return { pending: journal.entries.filter((m) => newest < m.when), against: "DATABASE_URL" };
  } finally {
    await client.end();
  }
}

function build(): void {
  say("building the web app (npm run build)");
  const result = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) fail("npm run build failed");
}

async function checkBundle(): Promise<void> {
  const outdir = mkdtempSync(join(tmpdir(), "apex-deploy-"));
  try {
    say(`bundling the Worker (wrangler deploy --dry-run ${DEPLOY_FLAGS.join(" ")})`);
    const size = await bundleWorker(outdir);
    const budget = readBudget();
    const over = overBudget(size, budget);
    say(
      `bundle ${mib(size.rawBytes)} raw, ${mib(size.gzipBytes)} gzip (budget ${mib(budget.rawBytes)} / ${mib(budget.gzipBytes)})`,
    );
    if (over.length > 0) fail(`the Worker bundle is over its budget: ${over.join("; ")} (bench/bundle-budget.json)`);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

async function planMigrations(): Promise<void> {
  const { pending, against } = await pendingMigrations(process.env.DATABASE_URL || undefined);
  say(`migrations pending (${against}): ${pending.length === 0 ? "none" : pending.length}`);
  for (const m of pending) say(`  ${m.tag}`);
}

function planAccount(resources: Resources, secrets: Secret[]): void {
  say(`queues wrangler.toml needs: ${resources.queues.join(", ")}`);
  say(`R2 buckets wrangler.toml needs: ${resources.buckets.join(", ")}`);
  say(
    `secrets .dev.vars.example names: ${secrets.map((s) => (s.optional ? `${s.name} (optional)` : s.name)).join(", ")}`,
  );
}

/** A name in wrangler's list output, as a whole word (apex-agents is not apex-agents-dlq). */
function listed(output: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w-])${escaped}($|[^\\w-])`, "m").test(output);
}

async function ensure(kind: string, names: string[], list: string[], create: (name: string) => string[]) {
  const existing = await wrangler(list);
  for (const name of names) {
    if (listed(existing, name)) {
      say(`${kind} ${name}: exists`);
      continue;
    }
    try {
      await wrangler(create(name));
      say(`${kind} ${name}: created`);
    } catch (error) {
      // A list that paginated past the name: creating it again is refused, and that is fine.
      if (!/already (exists|taken)/i.test((error as Error).message)) throw error;
      say(`${kind} ${name}: exists`);
    }
  }
}

async function checkSecrets(secrets: Secret[]): Promise<void> {
  let set = new Set<string>();
  try {
    const listing = JSON.parse(await wrangler(["secret", "list", "--format", "json"])) as { name: string }[];
    set = new Set(listing.map((s) => s.name));
  } catch (error) {
    // No Worker yet, so no secret is set: `wrangler secret put` creates the Worker with its first secret.
    if (!/not found/i.test((error as Error).message)) throw error;
  }
  for (const s of secrets)
    say(`secret ${s.name}: ${set.has(s.name) ? "set" : s.optional ? "not set (optional)" : "MISSING"}`);
  const missing = secrets.filter((s) => !s.optional && !set.has(s.name)).map((s) => s.name);
  if (missing.length > 0) {
    fail(
      `set the missing secrets first (what each holds: .dev.vars.example; how: the README's "Deploying"):\n${missing
        .map((name) => `  npx wrangler secret put ${name}`)
        .join("\n")}`,
    );
  }
}

async function deploy(resources: Resources, secrets: Secret[]): Promise<void> {
  try {
    await wrangler(["whoami", "--json"]);
  } catch {
    fail(
      "not logged in to Cloudflare: run `npx wrangler login`, or set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID",
    );
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) fail("set DATABASE_URL (the same Neon connection string as the secret) to apply the migrations");
  await checkSecrets(secrets);
  await ensure("queue", resources.queues, ["queues", "list"], (name) => ["queues", "create", name]);
  await ensure("R2 bucket", resources.buckets, ["r2", "bucket", "list"], (name) => ["r2", "bucket", "create", name]);
  say("applying migrations to DATABASE_URL");
  await migrate(databaseUrl);
  say(`wrangler deploy ${DEPLOY_FLAGS.join(" ")}`);
  const wranglerBin = join(root, "node_modules/wrangler/bin/wrangler.js");
  const result = spawnSync(process.execPath, [wranglerBin, "deploy", ...DEPLOY_FLAGS], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) fail("wrangler deploy failed");
  const base = resources.publicBaseUrl ?? "";
  if (base.includes(EXAMPLE_HOST)) {
    console.warn(
      `\n[deploy] PUBLIC_BASE_URL in wrangler.toml is still ${base}: Twilio's webhooks are refused until it is\n` +
        "[deploy] the URL above (or your own domain). Set it and run `npm run deploy` again.",
    );
  } else {
    say(`live on ${base}. Each Twilio number: voice ${base}/webhooks/twilio/inbound?project=<project id>,`);
    say(`messaging ${base}/webhooks/twilio/sms?project=<project id> (README, "Deploying")`);
  }
}

const resources = accountResources(readFileSync(join(root, "wrangler.toml"), "utf8"));
const secrets = declaredSecrets(readFileSync(join(root, ".dev.vars.example"), "utf8"));
build();
await checkBundle();
await planMigrations();
planAccount(resources, secrets);
if (dryRun) {
  say("dry run: the Cloudflare account and the database were not touched");
} else {
  await deploy(resources, secrets);
}
