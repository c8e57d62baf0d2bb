import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { prepareLocalBrowser } from "./dev/browser.ts";

// The BROWSER binding (the lead hunter's pages) runs Debian's Chromium, installed here on a bare machine; see dev/browser.ts.
const localBrowser = prepareLocalBrowser(fileURLToPath(new URL(".", import.meta.url)), { install: true });
process.env.XDG_CACHE_HOME = localBrowser.cacheHome;
if (localBrowser.problem) console.warn(`[test] browser: ${localBrowser.problem}`);

// Tests run inside workerd against the real Durable Object, the local queues
// and a real Postgres reached through the relay that test/global-setup.ts
// starts; its ports arrive here through `inject`.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          APP_ENV: "test",
          DATABASE_URL: inject("databaseUrl"),
          NEON_WS_PROXY: `127.0.0.1:${inject("relayPort")}`,
          // A port nothing listens on: tests point Postgres here to see it down.
          DEAD_WS_PROXY: `127.0.0.1:${inject("deadPort")}`,
          JWT_SIGNING_KEYS: inject("jwtSigningKeys"),
          // A receiver that verifies signatures the way an integrator would (dev/simulators/webhook-receiver.ts).
          WEBHOOK_RECEIVER_URL: inject("webhookReceiverUrl"),
          // The Twilio simulator (dev/simulators/twilio.ts), reached through the real twilio library.
          TWILIO_API_BASE_URL: inject("twilioSimulatorUrl"),
          TWILIO_SIMULATOR_URL: inject("twilioSimulatorUrl"),
          TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000dev",
          TWILIO_AUTH_TOKEN: "dev-twilio-auth-token",
          // The public bucket numbers fall back to; test/twilio.ts serves it from R2 as R2's public access would.
          FALLBACK_TWIML_PUBLIC_URL: "https://fallback-twiml.apex.test/",
          // The Gemini simulator (dev/simulators/gemini.ts), reached through @google/genai.
          GEMINI_API_KEY: "sim-gemini-key",
          GEMINI_API_BASE_URL: inject("geminiSimulatorUrl"),
          GEMINI_SIMULATOR_URL: inject("geminiSimulatorUrl"),
          SECRETS_ENCRYPTION_KEY: inject("secretsEncryptionKey"),
          // The job-board simulators the lead hunter reads (tests pass lanes of them, test/hunter.ts).
          HUNTER_GIGS_URL: inject("gigsBoardUrl"),
          HUNTER_TRADES_URL: inject("tradesBoardUrl"),
          HUNTER_PAGE_TIMEOUT_MS: "4000",
          // The Overpass simulator (dev/simulators/overpass.ts): the pSEO scout's landmarks.
          OVERPASS_API_URL: inject("overpassUrl"),
          // The Search Console simulator (dev/simulators/search-console.ts): the analytics stage, and its control API.
          SEARCH_CONSOLE_API_URL: `${inject("searchConsoleUrl")}/webmasters/v3`,
          SEARCH_CONSOLE_SIMULATOR_URL: inject("searchConsoleUrl"),
          // A real WordPress the pSEO publisher's tests publish to (dev/wordpress.ts); tests only, never a Worker var.
          WORDPRESS_TEST_URL: inject("wordpressUrl"),
          WORDPRESS_TEST_USER: inject("wordpressUser"),
          WORDPRESS_TEST_PASSWORD: inject("wordpressPassword"),
          // Retries without waiting, so exhausting them fits in a test; backoff itself is unit-tested.
          AGENT_RETRY_BASE_SECONDS: "0",
          WEBHOOK_MAX_ATTEMPTS: "3",
          WEBHOOK_DISABLE_AFTER: "2",
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    include: ["test/**/*.test.ts", "workers/**/*.test.ts", "durable-objects/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    deps: {
      optimizer: {
        ssr: {
          enabled: true,
          include: ["@remix-run/cloudflare", "@remix-run/server-runtime", "cookie", "set-cookie-parser"],
        },
      },
    },
  },
});
