/**
 * A real WordPress on this machine, for the programmatic-SEO publisher to
 * publish to in dev, e2e and CI: Debian's `wordpress` package (WordPress 6.1,
 * PHP 8.2) served by PHP's built-in server, backed by the local MariaDB.
 *
 * - Installed with apt-get when missing (root, or sudo), unless `install:
 *   false`. MariaDB is started if nothing answers on 127.0.0.1:3306.
 * - One config for every port: Debian's /usr/share/wordpress/wp-config.php
 *   loads /etc/wordpress/config-<host>.php keyed by the Host WITHOUT its port,
 *   so every WordPress on 127.0.0.1 shares config-127.0.0.1.php. That file
 *   therefore picks the site by port: it reads SERVER_PORT (or the port in
 *   HTTP_HOST) and loads /etc/wordpress/apex-ports/<port>.json, written per
 *   start, naming the database, its user and password. dev, e2e and tests can
 *   each run their own WordPress on their own port. WP_HOME/WP_SITEURL come
 *   from the port too, so a kept database (`database` given) works on any port.
 * - A fresh database (apex_wp_<random>) and user per call unless `database`
 *   is given; stop() kills the server's process group and drops a fresh
 *   database and its user, and keeps a given one.
 * - Packages: wordpress, php-cli, php-mysql, and wordpress-theme-twentytwentythree
 *   (Debian only recommends it; without a theme every public page is empty).
 * - URLs: use `/?rest_route=/wp/v2/...` for the REST API; a published page's
 *   HTML is at `/?page_id=<id>` (drafts only with auth or a preview link). The
 *   built-in server has no rewrite rules; it does hand dotless unknown paths to
 *   index.php, so /wp-json/... and the pretty permalinks WordPress picks at
 *   install happen to work, but paths with a dot (/robots.txt) answer 404.
 *   Core sitemaps are off too: the site is installed with blog_public=0.
 * - Uploads land in /var/lib/wordpress/wp-content/uploads (shared by every
 *   port; WordPress renames clashing files). Debian's Apache config aliases
 *   /wp-content there; for php -S a small router (/etc/wordpress/apex-router.php)
 *   serves /wp-content/uploads/ from it.
 * - JSON-LD: an administrator has `unfiltered_html` on a single site, so kses
 *   keeps a `<script type="application/ld+json">` in page content sent over the
 *   REST API with the Application Password, and the theme renders it verbatim
 *   (dev/wordpress.test.ts). DISALLOW_UNFILTERED_HTML or multisite would strip it.
 * - Timings here: apt install about 30s once; start (database, server,
 *   install.php, Application Password) about 1-1.5s.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { createInterface } from "node:readline";

export interface LocalWordPress {
  baseUrl: string;
  username: string;
  applicationPassword: string;
  database: string;
  stop(): Promise<void>;
}

const WORDPRESS_ROOT = "/usr/share/wordpress";
const CONTENT_DIR = "/var/lib/wordpress/wp-content";
const HOST_CONFIG = "/etc/wordpress/config-127.0.0.1.php";
const PORT_SITES_DIR = "/etc/wordpress/apex-ports";
const ROUTER = "/etc/wordpress/apex-router.php";
const THEME = "twentytwentythree";
const MARIADB = "/usr/sbin/mariadbd";
const ADMIN = { user: "admin", password: "apex-local-admin", email: "admin@example.com" };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: options.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", (error) => resolve({ code: -1, stdout, stderr: stderr + String(error) }));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    // A command that exits (or fails to start) before reading its input must not crash us with EPIPE.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

const commandExists = async (name: string) => (await run("sh", ["-c", `command -v ${name}`])).code === 0;

/** The prefix that runs a command as root: nothing when we are root, `sudo -n` when sudo exists, else undefined. */
async function rootPrefix(): Promise<string[] | undefined> {
  if (process.getuid?.() === 0) return [];
  return (await commandExists("sudo")) ? ["sudo", "-n"] : undefined;
}

async function runAsRoot(what: string, argv: string[], input?: string): Promise<Ran> {
  const prefix = await rootPrefix();
  if (!prefix) throw new Error(`local WordPress: ${what} needs root or sudo, and this process has neither`);
  const [command, ...args] = [...prefix, ...argv] as [string, ...string[]];
  // sudo keeps DEBIAN_FRONTEND only when passed as an assignment, so pass it both ways.
  const viaSudo = prefix.length ? ["DEBIAN_FRONTEND=noninteractive"] : [];
  const [program, ...rest] = prefix.length
    ? ([command, ...viaSudo, ...args] as [string, ...string[]])
    : [command, ...args];
  return run(program, rest, { input, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

/** Writes a file under /etc; directly as root, through `sudo tee` otherwise. */
async function writeSystemFile(path: string, content: string, mode: number): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (process.getuid?.() === 0) {
    await mkdir(dir, { recursive: true });
    // Write then rename: a concurrent start on another port reads a whole file, never half of one.
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
    await writeFile(temporary, content, { mode });
    await rename(temporary, path);
    return;
  }
  const made = await runAsRoot(`creating ${dir}`, ["install", "-d", dir]);
  const wrote = made.code === 0 ? await runAsRoot(`writing ${path}`, ["tee", path], content) : made;
  if (wrote.code !== 0) throw new Error(`local WordPress: could not write ${path}: ${wrote.stderr.trim()}`);
}

async function missingPackages(): Promise<string[]> {
  const missing: string[] = [];
  if (!existsSync(`${WORDPRESS_ROOT}/wp-config.php`)) missing.push("wordpress");
  // Without a theme WordPress renders every public page empty; this is the default theme of 6.1, which Debian only recommends.
  if (!existsSync(`${CONTENT_DIR}/themes/${THEME}/style.css`)) missing.push(`wordpress-theme-${THEME}`);
  if (!(await commandExists("php"))) missing.push("php-cli", "php-mysql");
  else if ((await run("php", ["-r", 'exit(extension_loaded("mysqli") ? 0 : 1);'])).code !== 0)
    missing.push("php-mysql");
  return missing;
}

async function ensurePackages(install: boolean, log: (line: string) => void): Promise<void> {
  const missing = await missingPackages();
  if (missing.length === 0) return;
  const packages = ["wordpress", `wordpress-theme-${THEME}`, "php-cli", "php-mysql"];
  const hint = `apt-get install -y --no-install-recommends ${packages.join(" ")}`;
  if (!install) throw new Error(`local WordPress: missing ${missing.join(", ")} (${hint})`);
  log(`installing ${missing.join(", ")} with apt-get (about a minute)`);
  const started = Date.now();
  const update = await runAsRoot("apt-get", ["apt-get", "update", "-qq"]);
  if (update.code !== 0) log(`apt-get update failed: ${update.stderr.trim()}`);
  const installed = await runAsRoot("apt-get", [
    "apt-get",
    "install",
    "-y",
    "-qq",
    "--no-install-recommends",
    ...packages,
  ]);
  const still = await missingPackages();
  if (installed.code !== 0 || still.length > 0)
    throw new Error(
      `local WordPress: could not install ${still.join(", ") || missing.join(", ")} (${hint}): ${installed.stderr.trim()}`,
    );
  log(`installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

const answers = (port: number, host = "127.0.0.1") =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, host);
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

async function ensureMariaDB(log: (line: string) => void): Promise<void> {
  if (await answers(3306)) return;
  if (!existsSync(MARIADB))
    throw new Error(`local WordPress: no MariaDB answers on 127.0.0.1:3306 and ${MARIADB} is missing (mariadb-server)`);
  log("starting MariaDB");
  // mariadbd puts its socket and pid file here; a fresh container's /run lacks it.
  await runAsRoot("preparing /run/mysqld", ["install", "-d", "-o", "mysql", "-g", "mysql", "/run/mysqld"]);
  const started = await runAsRoot("starting MariaDB", [
    "start-stop-daemon",
    "--start",
    "--oknodo",
    "--background",
    "--exec",
    MARIADB,
  ]);
  if (started.code !== 0) throw new Error(`local WordPress: could not start MariaDB: ${started.stderr.trim()}`);
  if (!(await waitFor(() => answers(3306), 30_000)))
    throw new Error("local WordPress: MariaDB did not answer on 127.0.0.1:3306 within 30s");
}

/** Runs SQL as MariaDB's root: over TCP without a password (this kind of machine), else over the socket (Debian's default unix_socket auth). */
async function adminSql(sql: string): Promise<string> {
  const overTcp = await run("mysql", ["-h127.0.0.1", "-P3306", "-uroot", "--batch", "--skip-column-names"], {
    input: sql,
  });
  if (overTcp.code === 0) return overTcp.stdout;
  const overSocket = await runAsRoot("MariaDB admin", ["mysql", "-uroot", "--batch", "--skip-column-names"], sql);
  if (overSocket.code === 0) return overSocket.stdout;
  throw new Error(`local WordPress: MariaDB refused admin SQL: ${overTcp.stderr.trim()} / ${overSocket.stderr.trim()}`);
}

/** The one host config every local WordPress on 127.0.0.1 loads; it picks the site by port. */
const hostConfig = `<?php
// Written by Apex's dev/wordpress.ts. Every WordPress served on 127.0.0.1 loads
// this file (Debian keys configs by host without port), so it picks the site
// by port from ${PORT_SITES_DIR}/<port>.json.
$apex_port = isset($_SERVER['SERVER_PORT']) ? (string) $_SERVER['SERVER_PORT'] : '';
if ($apex_port === '' && isset($_SERVER['HTTP_HOST']) && preg_match('/:(\\d+)$/', $_SERVER['HTTP_HOST'], $apex_match)) {
  $apex_port = $apex_match[1];
}
$apex_port = preg_replace('/\\D/', '', $apex_port);
$apex_site_file = '${PORT_SITES_DIR}/' . $apex_port . '.json';
$apex_site = is_readable($apex_site_file) ? json_decode(file_get_contents($apex_site_file), true) : null;
if (!is_array($apex_site)) {
  if (PHP_SAPI !== 'cli') http_response_code(503);
  die("No local WordPress is configured for port '$apex_port' ($apex_site_file)\\n");
}
define('DB_NAME', $apex_site['database']);
define('DB_USER', $apex_site['user']);
define('DB_PASSWORD', $apex_site['password']);
define('DB_HOST', '127.0.0.1:3306');
define('WP_HOME', 'http://127.0.0.1:' . $apex_port);
define('WP_SITEURL', 'http://127.0.0.1:' . $apex_port);
define('WP_CONTENT_DIR', '${CONTENT_DIR}');
// "local" lets Application Passwords work over plain HTTP.
define('WP_ENVIRONMENT_TYPE', 'local');
// The built-in server runs few workers; cron's loopback request would only compete with real ones.
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
$table_prefix = 'wp_';
`;

/**
 * php -S's router: Debian's Apache config aliases /wp-content to
 * /var/lib/wordpress/wp-content, where uploads live, but the built-in server
 * only sees /usr/share/wordpress. Serve /wp-content/uploads/ from there; for
 * everything else return false, which lets the server serve the file or fall
 * back to index.php as usual.
 */
const router = `<?php
// Written by Apex's dev/wordpress.ts: serves uploads for php -S (see there).
$apex_path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
if (!str_starts_with($apex_path, '/wp-content/uploads/')) return false;
$apex_uploads = '${CONTENT_DIR}/uploads/';
$apex_file = realpath('${CONTENT_DIR}' . substr($apex_path, strlen('/wp-content')));
if ($apex_file === false || !str_starts_with($apex_file, $apex_uploads) || !is_file($apex_file) || str_ends_with($apex_file, '.php')) {
  http_response_code(404);
  return true;
}
header('Content-Type: ' . (mime_content_type($apex_file) ?: 'application/octet-stream'));
header('Content-Length: ' . filesize($apex_file));
readfile($apex_file);
return true;
`;

async function ensureUploadsWritable(): Promise<void> {
  const uploads = `${CONTENT_DIR}/uploads`;
  if (process.getuid?.() === 0) {
    await mkdir(uploads, { recursive: true });
    return;
  }
  // The php server runs as this user; give it the uploads directory.
  const made = await runAsRoot("creating the uploads directory", [
    "install",
    "-d",
    "-o",
    String(process.getuid?.()),
    uploads,
  ]);
  if (made.code !== 0) throw new Error(`local WordPress: could not create ${uploads}: ${made.stderr.trim()}`);
}

function serve(port: number, log: (line: string) => void): ChildProcess {
  const server = spawn("php", ["-S", `127.0.0.1:${port}`, "-t", WORDPRESS_ROOT, ROUTER], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // A few workers, so a request that waits on another (media sideloads, previews) does not deadlock.
    env: { ...process.env, PHP_CLI_SERVER_WORKERS: "4" },
  });
  for (const stream of [server.stdout, server.stderr])
    if (stream) createInterface({ input: stream }).on("line", (line) => log(`php: ${line}`));
  return server;
}

async function stopProcessGroup(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null || server.pid === undefined) return;
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(server.pid as number), name);
    } catch {
      // Already gone.
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** Mints an Application Password for user 1 from PHP, replacing earlier ones named "apex" (a kept database would pile them up). */
async function mintApplicationPassword(port: number): Promise<{ username: string; password: string }> {
  const code = `
$_SERVER['HTTP_HOST'] = '127.0.0.1:${port}';
$_SERVER['SERVER_PORT'] = '${port}';
$_SERVER['REQUEST_URI'] = '/';
require '${WORDPRESS_ROOT}/wp-load.php';
foreach (WP_Application_Passwords::get_user_application_passwords(1) as $item) {
  if ($item['name'] === 'apex') WP_Application_Passwords::delete_application_password(1, $item['uuid']);
}
$created = WP_Application_Passwords::create_new_application_password(1, ['name' => 'apex']);
if (is_wp_error($created)) { fwrite(STDERR, $created->get_error_message()); exit(1); }
echo json_encode(['username' => get_userdata(1)->user_login, 'password' => $created[0]]);
`;
  const minted = await run("php", ["-r", code]);
  if (minted.code !== 0)
    throw new Error(`local WordPress: could not mint an Application Password: ${minted.stderr || minted.stdout}`);
  return JSON.parse(minted.stdout.slice(minted.stdout.indexOf("{")));
}

export async function startWordPress(options: {
  port: number;
  database?: string;
  log?: (line: string) => void;
  install?: boolean;
}): Promise<LocalWordPress> {
  const log = options.log ?? (() => {});
  const { port } = options;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`local WordPress: ${port} is not a port`);
  if (options.database !== undefined && !/^[A-Za-z0-9_]{1,64}$/.test(options.database))
    throw new Error(`local WordPress: database name ${options.database} must be 1-64 letters, digits or _`);
  if (await answers(port)) throw new Error(`local WordPress: something already listens on 127.0.0.1:${port}`);

  await ensurePackages(options.install ?? true, log);
  await ensureMariaDB(log);

  const started = Date.now();
  const keepDatabase = options.database !== undefined;
  const database = options.database ?? `apex_wp_${randomBytes(6).toString("hex")}`;
  // MariaDB user names are at most 80 characters; the database name is at most 64.
  const user = database;
  const password = randomBytes(18).toString("base64url");
  const hosts = ["127.0.0.1", "localhost"];
  await adminSql(
    [
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`,
      ...hosts.flatMap((host) => [
        `CREATE OR REPLACE USER '${user}'@'${host}' IDENTIFIED BY '${password}';`,
        `GRANT ALL PRIVILEGES ON \`${database}\`.* TO '${user}'@'${host}';`,
      ]),
    ].join("\n"),
  );
  const dropDatabase = async () => {
    if (keepDatabase) return;
    await adminSql(
      [
        `DROP DATABASE IF EXISTS \`${database}\`;`,
        ...hosts.map((host) => `DROP USER IF EXISTS '${user}'@'${host}';`),
      ].join("\n"),
    );
  };

  const siteFile = `${PORT_SITES_DIR}/${port}.json`;
  let server: ChildProcess | undefined;
  try {
    await writeSystemFile(HOST_CONFIG, hostConfig, 0o644);
    await writeSystemFile(ROUTER, router, 0o644);
    await writeSystemFile(siteFile, `${JSON.stringify({ database, user, password })}\n`, 0o600);
    await ensureUploadsWritable();

    const output: string[] = [];
    server = serve(port, (line) => {
      output.push(line);
      log(line);
    });
    const running = server;
    let exited = false;
    running.once("exit", () => {
      exited = true;
    });
    const up = await waitFor(async () => exited || (await answers(port)), 15_000);
    if (!up || exited)
      throw new Error(`local WordPress: php -S did not start on port ${port}: ${output.slice(-5).join(" | ")}`);
    log(`serving on http://127.0.0.1:${port} after ${Date.now() - started}ms`);

    const baseUrl = `http://127.0.0.1:${port}`;
    const installed = await fetch(`${baseUrl}/wp-admin/install.php?step=2`, {
      method: "POST",
      body: new URLSearchParams({
        weblog_title: "Apex local WordPress",
        user_name: ADMIN.user,
        admin_password: ADMIN.password,
        admin_password2: ADMIN.password,
        pw_weak: "1",
        admin_email: ADMIN.email,
        blog_public: "0",
      }),
    });
    const page = await installed.text();
    if (!/Success!|Already Installed/i.test(page))
      throw new Error(`local WordPress: install.php answered ${installed.status}: ${page.slice(0, 500)}`);
    log(`installed WordPress after ${Date.now() - started}ms`);

    const minted = await mintApplicationPassword(port);
    log(`ready after ${Date.now() - started}ms`);
    let stopped = false;
    return {
      baseUrl,
      username: minted.username,
      applicationPassword: minted.password,
      database,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopProcessGroup(running);
        if (process.getuid?.() === 0) await rm(siteFile, { force: true });
        else await runAsRoot(`removing ${siteFile}`, ["rm", "-f", siteFile]);
        await dropDatabase();
      },
    };
  } catch (error) {
    if (server) await stopProcessGroup(server);
    await dropDatabase().catch(() => {});
    throw error;
  }
}
