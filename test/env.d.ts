// Bindings that exist only in tests (see vitest.config.ts).
interface ApexTestBindings {
  /** host:port where nothing listens: point NEON_WS_PROXY here to take Postgres away. */
  DEAD_WS_PROXY: string;
  /** Base URL of dev/simulators/webhook-receiver.ts, started by test/global-setup.ts. */
  WEBHOOK_RECEIVER_URL: string;
  /** The Twilio simulator's control API (pull mode), started by test/global-setup.ts. */
  TWILIO_SIMULATOR_URL: string;
  /** The Gemini simulator's control API (`/_sim/next`). */
  GEMINI_SIMULATOR_URL: string;
  /** A real local WordPress (dev/wordpress.ts) and an Application Password for it, for the pSEO publisher. */
  WORDPRESS_TEST_URL: string;
  /** The Search Console simulator's control API (`/_sim/sites/{site}/pages`). */
  SEARCH_CONSOLE_SIMULATOR_URL: string;
  WORDPRESS_TEST_USER: string;
  WORDPRESS_TEST_PASSWORD: string;
}

interface Env extends ApexTestBindings {}
// The test pool's types re-open Cloudflare.Env; restate what it carries.
declare namespace Cloudflare {
  interface Env extends __BaseEnv_Env, ApexSecrets, ApexTestBindings {}
}
