/**
 * `npm run dev`: the whole of Apex on this machine. See dev/stack.ts for the
 * order; README.md lists the ports. Ctrl-C stops everything this started.
 */
import { fileURLToPath } from "node:url";
import { persistentSigningKeys } from "./jwt-keys.ts";
import { portsFromEnvironment } from "./ports.ts";
import { startStack } from "./stack.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const colors: Record<string, string> = {
  postgres: "34",
  relay: "36",
  "twilio-sim": "35",
  ui: "33",
  worker: "32",
  stack: "31",
};
const log = (component: string, line: string) =>
  console.log(`\x1b[${colors[component] ?? "0"}m[${component}]\x1b[0m ${line}`);

const ports = portsFromEnvironment();
const stack = await startStack({
  ports,
  databaseUrl: process.env.DATABASE_URL || undefined,
  pgliteDataDir: `${root}.data/pglite`,
  persistTo: `${root}.data/wrangler`,
  wordpressDatabase: "apex_dev_wordpress",
  jwtSigningKeys: process.env.JWT_SIGNING_KEYS || persistentSigningKeys(`${root}.data/jwt-signing-keys.json`),
  log,
}).catch((error: unknown) => {
  log("stack", `failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

log("stack", `ready: ${stack.baseUrl}  ·  health ${stack.baseUrl}/api/health  ·  Ctrl-C to stop`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log("stack", `${signal}: stopping`);
  await stack.stop();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
