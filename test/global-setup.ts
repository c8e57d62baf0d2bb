/**
 * Runs once, in Node, before the workerd test pool starts:
 *   TEST_DATABASE_URL set → a fresh database on that server (dropped after);
 *   otherwise             → embedded PGlite in memory, served on a TCP port.
 * Then migrations, then the Neon WebSocket relay in front of it. Ports reach
 * the Worker's bindings through `provide`/`inject`.
 */
import net from "node:net";
import type { TestProject } from "vitest/node";
import { generateSigningKeys } from "../dev/jwt-keys.ts";
import { migrate } from "../dev/migrate.ts";
import { createFreshDatabase, type ProvisionedDatabase, startEmbedded } from "../dev/postgres/provision.ts";
import { startRelay } from "../dev/relay.ts";
import { startGeminiSimulator } from "../dev/simulators/gemini.ts";
import { startJobBoard } from "../dev/simulators/job-board.ts";
import { startOverpassSimulator } from "../dev/simulators/overpass.ts";
import { startSearchConsoleSimulator } from "../dev/simulators/search-console.ts";
import { startTwilioSimulator } from "../dev/simulators/twilio.ts";
import { startWebhookReceiver } from "../dev/simulators/webhook-receiver.ts";
import { DEV_TWILIO } from "../dev/stack.ts";
import { startWordPress } from "../dev/wordpress.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    relayPort: number;
    deadPort: number;
    jwtSigningKeys: string;
    webhookReceiverUrl: string;
    twilioSimulatorUrl: string;
    geminiSimulatorUrl: string;
    gigsBoardUrl: string;
    tradesBoardUrl: string;
    overpassUrl: string;
    searchConsoleUrl: string;
    wordpressUrl: string;
    wordpressUser: string;
    wordpressPassword: string;
    secretsEncryptionKey: string;
  }
}

async function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject) {
  const given = process.env.TEST_DATABASE_URL;
  const database: ProvisionedDatabase = given ? await createFreshDatabase(given) : await startEmbedded({ port: 0 });
  console.log(`[test] postgres: ${given ? "fresh database on TEST_DATABASE_URL" : "embedded PGlite"}`);
  await migrate(database.url);
  const target = new URL(database.url);
  const relay = await startRelay({
    port: 0,
    target: { host: target.hostname, port: Number(target.port || 5432) },
    // As in `npm run dev`: a real server's connections are reused like Neon's pooler's (decision 030).
    reuseConnections: database.kind === "external",
  });

  project.provide("databaseUrl", database.url);
  project.provide("relayPort", relay.port);
  project.provide("deadPort", await unusedPort());
  project.provide("jwtSigningKeys", generateSigningKeys());
  const receiver = await startWebhookReceiver({ port: 0 });
  project.provide("webhookReceiverUrl", receiver.baseUrl);
  // Pull mode: the test Worker has no port, so tests take the simulator's webhooks and deliver them (test/twilio.ts).
  const twilio = await startTwilioSimulator({ port: 0, ...DEV_TWILIO, webhookMode: "pull", msPerSecond: 1 });
  project.provide("twilioSimulatorUrl", twilio.baseUrl);
  const gemini = await startGeminiSimulator({ port: 0, apiKey: "sim-gemini-key" });
  project.provide("geminiSimulatorUrl", gemini.baseUrl);
  // The lead hunter's boards (dev/simulators/job-board.ts): tests hunt on lanes of their own.
  const gigsBoard = await startJobBoard({ port: 0, flavor: "gigs" });
  const tradesBoard = await startJobBoard({ port: 0, flavor: "trades" });
  project.provide("gigsBoardUrl", gigsBoard.baseUrl);
  project.provide("tradesBoardUrl", tradesBoard.baseUrl);
  const overpass = await startOverpassSimulator({ port: 0 });
  project.provide("overpassUrl", `${overpass.baseUrl}/api/interpreter`);
  const searchConsole = await startSearchConsoleSimulator({ port: 0 });
  project.provide("searchConsoleUrl", searchConsole.baseUrl);
  // A real WordPress (Debian's package on the machine's MariaDB) for the pSEO publisher: its own database per run.
  const wordpress = await startWordPress({ port: await unusedPort() });
  project.provide("wordpressUrl", wordpress.baseUrl);
  project.provide("wordpressUser", wordpress.username);
  project.provide("wordpressPassword", wordpress.applicationPassword);
  project.provide(
    "secretsEncryptionKey",
    Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url"),
  );

  return async () => {
    await wordpress.stop();
    await overpass.close();
    await searchConsole.close();
    await gigsBoard.close();
    await tradesBoard.close();
    await gemini.close();
    await twilio.close();
    await receiver.close();
    await relay.close();
    await database.close();
  };
}
