/**
 * The local Browser Rendering binding runs Debian's Chromium.
 *
 * miniflare's local `[browser]` binding starts the Chrome build it pins,
 * which it downloads into `$XDG_CACHE_HOME/.wrangler/chrome/` on first use.
 * These machines are offline for that download, and miniflare has no setting
 * for another executable, so we put an executable where it looks: a wrapper
 * that starts Debian's Chromium (shared/STACK.md, "Browser Rendering"). The
 * marker file tells miniflare the install is complete; without it, miniflare
 * deletes the folder after any failed start and tries to download again.
 *
 * `npm run dev`, the test runner and CI all call `prepareLocalBrowser`, with
 * XDG_CACHE_HOME pointing into the project's own `.data/cache`, so nothing
 * depends on the user's home.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

/** Debian's Chromium binary itself (`/usr/bin/chromium` is a launcher script that miniflare cannot drive). */
export const DEBIAN_CHROMIUM = "/usr/lib/chromium/chromium";

/**
 * Flags for a headless Chromium on a closed network as root: without the
 * background-networking ones it keeps dialling Google's hosts and failing.
 */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** The Chrome version this miniflare pins (the folder it looks in); read from miniflare so an upgrade follows. */
export function miniflareChromeVersion(): string {
  const require = createRequire(import.meta.url);
  const source = readFileSync(require.resolve("miniflare"), "utf8");
  const match = source.match(/BROWSER_VERSION\s*=\s*"([\d.]+)"/);
  if (!match?.[1]) throw new Error("cannot find the Chrome version miniflare pins (BROWSER_VERSION)");
  return match[1];
}

export interface LocalBrowser {
  /** Set XDG_CACHE_HOME to this for every process that runs miniflare. */
  cacheHome: string;
  /** Absent when Chromium is there and wired; otherwise why the hunter cannot render pages here. */
  problem?: string;
}

/**
 * Wires Debian's Chromium in under `{root}.data/cache`. With `install`, a
 * missing Chromium is installed with apt-get (root only; about a minute).
 */
export function prepareLocalBrowser(root: string, { install = false }: { install?: boolean } = {}): LocalBrowser {
  const cacheHome = join(root, ".data", "cache");
  if (!existsSync(DEBIAN_CHROMIUM) && install) installChromium();
  if (!existsSync(DEBIAN_CHROMIUM)) {
    return { cacheHome, problem: `no Chromium at ${DEBIAN_CHROMIUM}: apt-get install -y chromium` };
  }
  const installDir = join(cacheHome, ".wrangler", "chrome", `linux-${miniflareChromeVersion()}`);
  const executable = join(installDir, "chrome-linux64", "chrome");
  mkdirSync(join(installDir, "chrome-linux64"), { recursive: true });
  const wrapper = `#!/bin/sh\nexec ${DEBIAN_CHROMIUM} ${FLAGS.join(" ")} "$@"\n`;
  if (!existsSync(executable) || readFileSync(executable, "utf8") !== wrapper) writeFileSync(executable, wrapper);
  chmodSync(executable, 0o755);
  writeFileSync(join(installDir, ".miniflare-install-complete"), "");
  return { cacheHome };
}

function installChromium(): void {
  const asRoot = process.getuid?.() === 0;
  const sudo = !asRoot && spawnSync("sh", ["-c", "command -v sudo"]).status === 0 ? ["sudo"] : [];
  if (!asRoot && sudo.length === 0) return;
  const run = (args: string[]) => {
    const [command, ...rest] = [...sudo, ...args];
    spawnSync(command as string, rest, {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  };
  console.log("[browser] installing Debian's chromium for the lead hunter (about a minute, once)");
  run(["apt-get", "update", "-qq"]);
  run(["apt-get", "install", "-y", "-qq", "chromium"]);
}
