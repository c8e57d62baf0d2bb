/**
 * The Worker as `npm run deploy` ships it, measured without a Cloudflare
 * account: `wrangler deploy --dry-run` bundles it (with the same flags as the
 * real deploy), its size is checked against bench/bundle-budget.json, and
 * `wrangler check startup` profiles its startup phase in a local workerd.
 * Used by `npm run bench` (the "bundle" section) and `npm run deploy`.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const wranglerBin = join(root, "node_modules/wrangler/bin/wrangler.js");
const run = promisify(execFile);

/** Flags every `wrangler deploy` of Apex takes, the dry run included, so what is measured is what ships. */
export const DEPLOY_FLAGS = ["--minify"];

export interface BundleBudget {
  rawBytes: number;
  gzipBytes: number;
}

export interface BundleSize {
  rawBytes: number;
  gzipBytes: number;
  /** The biggest contributors (npm packages, or the repository's own folders), largest first. */
  largest: { name: string; bytes: number }[];
}

export interface StartupProfile {
  /** CPU time the startup phase spent running (script evaluation, compilation, GC): what Cloudflare limits. */
  activeMs: number;
  /** Wall time of the profile window, idle included. */
  windowMs: number;
}

/** Runs wrangler from this repository and answers its stdout; a failure carries the end of its output. */
export async function wrangler(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [wranglerBin, ...args], {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    const output = `${failed.stdout ?? ""}${failed.stderr ?? ""}`.trim().split("\n").slice(-20).join("\n");
    throw new Error(`wrangler ${args.join(" ")} failed:\n${output}`);
  }
}

export function readBudget(): BundleBudget {
  const budget = JSON.parse(readFileSync(join(root, "bench/bundle-budget.json"), "utf8")) as Partial<BundleBudget>;
  if (typeof budget.rawBytes !== "number" || typeof budget.gzipBytes !== "number") {
    throw new Error("bench/bundle-budget.json needs numeric rawBytes and gzipBytes");
  }
  return { rawBytes: budget.rawBytes, gzipBytes: budget.gzipBytes };
}

/** Bundles the Worker into `outdir` (index.js, the upload form worker.bundle, esbuild's meta.json) and sizes it. */
export async function bundleWorker(outdir: string): Promise<BundleSize> {
  if (!existsSync(join(root, "build/server/index.js"))) {
    throw new Error("no Remix build: run `npm run build` first (the Worker bundles build/server)");
  }
  await wrangler([
    "deploy",
    "--dry-run",
    ...DEPLOY_FLAGS,
    "--outdir",
    outdir,
    "--outfile",
    join(outdir, "worker.bundle"),
    "--metafile",
    join(outdir, "meta.json"),
  ]);
  const script = readFileSync(join(outdir, "index.js"));
  return {
    rawBytes: script.byteLength,
    gzipBytes: gzipSync(script).byteLength,
    largest: largestInputs(join(outdir, "meta.json")),
  };
}

/** esbuild's metafile, summed per npm package (or per top-level folder of ours). */
function largestInputs(metafile: string, count = 8): { name: string; bytes: number }[] {
  const meta = JSON.parse(readFileSync(metafile, "utf8")) as {
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
  };
  const output = Object.entries(meta.outputs).find(([path]) => path.endsWith(".js"))?.[1];
  const byName = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split("/").slice(0, 2).join("/");
    byName.set(name, (byName.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, bytes]) => ({ name, bytes }));
}

/** What is over the budget, in words; empty when the bundle fits. */
export function overBudget(size: BundleSize, budget: BundleBudget): string[] {
  const over: string[] = [];
  if (size.rawBytes > budget.rawBytes) over.push(`raw ${mib(size.rawBytes)} > budget ${mib(budget.rawBytes)}`);
  if (size.gzipBytes > budget.gzipBytes) over.push(`gzip ${mib(size.gzipBytes)} > budget ${mib(budget.gzipBytes)}`);
  return over;
}

/** `wrangler check startup` on the bundle from `bundleWorker(outdir)`: local workerd, CPU-profiled from isolate start. */
export async function measureStartup(outdir: string): Promise<StartupProfile> {
  const profilePath = join(outdir, "startup.cpuprofile");
  await wrangler(["check", "startup", "--worker", join(outdir, "worker.bundle"), "--outfile", profilePath]);
  const profile = JSON.parse(readFileSync(profilePath, "utf8")) as {
    nodes: { id: number; callFrame: { functionName: string } }[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
  };
  const idleNodes = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  let activeMicros = 0;
  profile.samples.forEach((node, i) => {
    if (!idleNodes.has(node)) activeMicros += profile.timeDeltas[i] ?? 0;
  });
  return { activeMs: round(activeMicros / 1000), windowMs: round((profile.endTime - profile.startTime) / 1000) };
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const round = (ms: number) => Math.round(ms * 10) / 10;
