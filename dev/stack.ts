/**
 * Brings up the whole local stack, in order:
 *   Postgres (DATABASE_URL, else embedded PGlite) → migrations → Neon relay →
 *   simulators → UI build → wrangler dev
 * and takes it down in reverse. Used by `npm run dev`, the benchmarks and the
 * browser tests, so all three run exactly the same stack.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { prepareLocalBrowser } from "./browser.ts";
import { generateSigningKeys } from "./jwt-keys.ts";
import { migrate } from "./migrate.ts";
import type { Ports } from "./ports.ts";
import {
  externalDatabase,
  type ProvisionedDatabase,
  redact,
  startEmbedded,
  waitForPostgres,
} from "./postgres/provision.ts";
import { type Relay, startRelay } from "./relay.ts";
import { startGeminiSimulator } from "./simulators/gemini.ts";
import { startJobBoard } from "./simulators/job-board.ts";
import { startOverpassSimulator } from "./simulators/overpass.ts";
import { startSearchConsoleSimulator } from "./simulators/search-console.ts";
import { startTwilioSimulator, type TwilioSimulator } from "./simulators/twilio.ts";
import { startWebhookReceiver } from "./simulators/webhook-receiver.ts";
import type { WireCounts } from "./wire-counts.ts";
import { startWordPress } from "./wordpress.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string) => `${root}node_modules/.bin/${name}`;

/** Local only: the simulator's key, and a fixed key for encrypting tenants' provider keys in `.data`. */
const DEV_GEMINI_KEY = "dev-gemini-key";
const DEV_SECRETS_ENCRYPTION_KEY = "ZGV2LW9ubHktc2VjcmV0cy1lbmNyeXB0aW9uLWtleSE";
export const DEV_TWILIO = { accountSid: "AC00000000000000000000000000000dev", authToken: "dev-twilio-auth-token" };

interface StackOptions {
  ports: Ports;
  /** Use this Postgres; when absent, embedded PGlite is served on ports.pglite. */
  databaseUrl?: string;
  /** Where PGlite keeps its data; undefined → in memory. */
  pgliteDataDir?: string;
  /** wrangler's local state (Durable Object storage, queues). One directory per running wrangler. */
  persistTo: string;
  /** Skip the Remix build when build/ is already there. */
  reuseBuild?: boolean;
  /** wrangler's own log level; the benchmarks quiet its per-request lines. */
  wranglerLogLevel?: "debug" | "info" | "log" | "warn" | "error" | "none";
  /** JWT_SIGNING_KEYS for the Worker; fresh keys when absent. */
  jwtSigningKeys?: string;
  /** Where the Twilio simulator keeps the texts it accepted, so a restarted stack finds them (memory only when absent). */
  twilioMessageJournal?: string;
  /** The local WordPress's database, kept across restarts (`npm run dev`); a fresh one when absent. */
  wordpressDatabase?: string;
  /** More Worker vars, e.g. BENCH_ROUTES=on for the benchmarks. */
  vars?: Record<string, string>;
  log: (component: string, line: string) => void;
}

export interface Stack {
  baseUrl: string;
  databaseUrl: string;
  twilioSimulatorUrl: string;
  webhookReceiverUrl: string;
  /** The local job boards the lead hunter reads. */
  jobBoards: { gigs: string; trades: string };
  /** A real WordPress for pSEO to publish to, and an administrator's Application Password for it. */
  wordpress: { url: string; username: string; applicationPassword: string };
  /** What the Worker has asked of Postgres so far, counted at the relay (dev/wire-counts.ts). */
  postgresCounts(): WireCounts;
  /** Kills the Worker at once (SIGKILL, as a crash would), leaving the rest up; stop() still stops the rest. */
  killWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { ports, log } = options;
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch((error) => log("stack", `stop failed: ${String(error)}`));
  };
  try {
    let database: ProvisionedDatabase;
    if (options.databaseUrl) {
      database = await externalDatabase(options.databaseUrl);
      log("postgres", `using ${redact(database.url)}`);
    } else {
      database = await startEmbedded({ port: ports.pglite, dataDir: options.pgliteDataDir });
      log("postgres", `embedded PGlite on 127.0.0.1:${ports.pglite} (${options.pgliteDataDir ?? "in memory"})`);
    }
    stops.push(() => database.close());
    await waitForPostgres(database.url);

    await migrate(database.url);
    log("postgres", "migrations applied");

    const target = new URL(database.url);
    // A real server pays a new backend per Worker invocation unless the relay reuses connections, as
    // Neon's pooler does; the embedded server is one session already handed between clients (decision 030).
    const reuseConnections = database.kind === "external";
    const relay: Relay = await startRelay({
      port: ports.relay,
      target: { host: target.hostname, port: Number(target.port || 5432) },
      reuseConnections,
    });
    stops.push(() => relay.close());
    log(
      "relay",
      `Neon WebSocket relay on 127.0.0.1:${relay.port} → ${target.hostname}:${target.port || 5432}` +
        (reuseConnections ? " (reusing connections, like Neon's pooler)" : ""),
    );

    const twilio: TwilioSimulator = await startTwilioSimulator({
      port: ports.twilioSimulator,
      ...DEV_TWILIO,
      ...(options.twilioMessageJournal ? { messageJournal: options.twilioMessageJournal } : {}),
      log: (line) => log("twilio-sim", line),
    });
    stops.push(() => twilio.close());
    log("twilio-sim", `Twilio simulator on ${twilio.baseUrl}`);

    // A real GEMINI_API_KEY in the environment means the real Gemini; otherwise the simulator.
    let gemini: { key: string; baseUrl: string };
    if (process.env.GEMINI_API_KEY) {
      gemini = { key: process.env.GEMINI_API_KEY, baseUrl: "" };
      log("gemini-sim", "GEMINI_API_KEY is set: using Google's Gemini, not the simulator");
    } else {
      const simulator = await startGeminiSimulator({
        port: ports.geminiSimulator,
        apiKey: DEV_GEMINI_KEY,
        log: (line) => log("gemini-sim", line),
      });
      stops.push(() => simulator.close());
      gemini = { key: DEV_GEMINI_KEY, baseUrl: simulator.baseUrl };
      log("gemini-sim", `Gemini simulator on ${simulator.baseUrl}`);
    }

    // The lead hunter's boards, rendered by client-side JavaScript: only a real browser sees their posts.
    const gigsBoard = await startJobBoard({ port: ports.gigsBoard, flavor: "gigs", log: (line) => log("jobs", line) });
    stops.push(() => gigsBoard.close());
    const tradesBoard = await startJobBoard({
      port: ports.tradesBoard,
      flavor: "trades",
      log: (line) => log("jobs", line),
    });
    stops.push(() => tradesBoard.close());
    log("jobs", `job boards on ${gigsBoard.baseUrl} (gigs) and ${tradesBoard.baseUrl} (trades)`);
    // Landmarks for the pSEO scout: OpenStreetMap's Overpass API, simulated from a bundled extract.
    const overpass = await startOverpassSimulator({
      port: ports.overpassSimulator,
      log: (line) => log("osm-sim", line),
    });
    stops.push(() => overpass.close());
    log("osm-sim", `Overpass simulator on ${overpass.baseUrl}`);
    // Search analytics for pSEO's analytics stage: no numbers until some are registered (PUT /_sim/sites/{site}/pages).
    const searchConsole = await startSearchConsoleSimulator({
      port: ports.searchConsoleSimulator,
      log: (line) => log("gsc-sim", line),
    });
    stops.push(() => searchConsole.close());
    log("gsc-sim", `Search Console simulator on ${searchConsole.baseUrl} (token dev-gsc-token)`);
    // A real WordPress (Debian's package, on the machine's MariaDB) for pSEO to publish to.
    const wordpress = await startWordPress({
      port: ports.wordpress,
      ...(options.wordpressDatabase ? { database: options.wordpressDatabase } : {}),
      // PHP's server logs every connection's accept and close: only requests and errors are worth reading.
      log: (line) => {
        if (!/ (Accepted|Closing)$/.test(line)) log("wordpress", line);
      },
    });
    stops.push(() => wordpress.stop());
    log(
      "wordpress",
      `WordPress on ${wordpress.baseUrl} (connect it on the Local SEO page: user ${wordpress.username}, Application Password ${wordpress.applicationPassword})`,
    );
    // The BROWSER binding runs Debian's Chromium (installed here if missing).
    const localBrowser = prepareLocalBrowser(root, { install: true });
    if (localBrowser.problem) log("jobs", `the lead hunter cannot render pages: ${localBrowser.problem}`);

    const receiver = await startWebhookReceiver({
      port: ports.webhookReceiver,
      log: (line) => log("webhooks", line),
    });
    stops.push(() => receiver.close());
    log("webhooks", `webhook receiver on ${receiver.baseUrl} (register ${receiver.baseUrl}/hooks/<name>)`);

    if (!options.reuseBuild || !existsSync(`${root}build/server/index.js`)) {
      log("ui", "building the Remix app");
      const build = spawnSync(bin("remix"), ["vite:build"], { cwd: root, stdio: "pipe", encoding: "utf8" });
      if (build.status !== 0) throw new Error(`remix vite:build failed:\n${build.stdout}\n${build.stderr}`);
    }

    const wrangler = spawnWrangler(options, localBrowser.cacheHome, {
      DATABASE_URL: database.url,
      NEON_WS_PROXY: `127.0.0.1:${relay.port}`,
      APP_ENV: "development",
      PUBLIC_BASE_URL: `http://127.0.0.1:${ports.worker}`,
      TWILIO_API_BASE_URL: twilio.baseUrl,
      TWILIO_ACCOUNT_SID: DEV_TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: DEV_TWILIO.authToken,
      GEMINI_API_KEY: gemini.key,
      GEMINI_API_BASE_URL: gemini.baseUrl,
      HUNTER_GIGS_URL: gigsBoard.baseUrl,
      HUNTER_TRADES_URL: tradesBoard.baseUrl,
      OVERPASS_API_URL: `${overpass.baseUrl}/api/interpreter`,
      SEARCH_CONSOLE_API_URL: `${searchConsole.baseUrl}/webmasters/v3`,
      SECRETS_ENCRYPTION_KEY: process.env.SECRETS_ENCRYPTION_KEY ?? DEV_SECRETS_ENCRYPTION_KEY,
      JWT_SIGNING_KEYS: options.jwtSigningKeys ?? generateSigningKeys(),
      ...options.vars,
    });
    stops.push(() => stopProcess(wrangler));
    const baseUrl = `http://127.0.0.1:${ports.worker}`;
    await waitForHealth(baseUrl, wrangler, 90_000);
    log("worker", `Apex is up on ${baseUrl}`);

    return {
      baseUrl,
      databaseUrl: database.url,
      twilioSimulatorUrl: twilio.baseUrl,
      webhookReceiverUrl: receiver.baseUrl,
      jobBoards: { gigs: gigsBoard.baseUrl, trades: tradesBoard.baseUrl },
      wordpress: {
        url: wordpress.baseUrl,
        username: wordpress.username,
        applicationPassword: wordpress.applicationPassword,
      },
      postgresCounts: () => relay.counts(),
      killWorker: () => killProcess(wrangler),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function spawnWrangler(options: StackOptions, cacheHome: string, vars: Record<string, string>): ChildProcess {
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(options.ports.worker),
    "--inspector-port",
    String(options.ports.inspector),
    "--persist-to",
    options.persistTo,
    "--show-interactive-dev-session=false",
    ...(options.wranglerLogLevel ? ["--log-level", options.wranglerLogLevel] : []),
    ...Object.entries(vars).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
  ];
  const child = spawn(bin("wrangler"), args, {
    cwd: root,
    // Its own process group, so stopping it also stops workerd.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      NO_COLOR: "1",
      // Where miniflare finds the browser dev/browser.ts wired in.
      XDG_CACHE_HOME: cacheHome,
    },
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      // wrangler's update check fails offline; it is noise, not a fault.
      if (line.trim() && !line.includes("workers.cloudflare.com")) options.log("worker", line);
    });
  }
  return child;
}

async function waitForHealth(baseUrl: string, wrangler: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited with code ${wrangler.exitCode}`);
    try {
      const response = await fetch(`${baseUrl}/api/health`);
      last = `${response.status} ${await response.text()}`;
      if (response.status === 200) return;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Apex did not become healthy within ${timeoutMs} ms; last answer: ${last}`);
}

async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    return;
  }
  await exited;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {}
  }, 5_000);
  await exited;
  clearTimeout(timer);
}
