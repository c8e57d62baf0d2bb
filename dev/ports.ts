/** Default local ports; each can be overridden by the environment variable named beside it. */
export interface Ports {
  /** wrangler dev: the Worker, API and UI (APEX_PORT). */
  worker: number;
  /** wrangler's inspector (APEX_INSPECTOR_PORT). */
  inspector: number;
  /** Neon WebSocket relay (APEX_RELAY_PORT). */
  relay: number;
  /** Embedded PGlite, when no DATABASE_URL is given (APEX_PGLITE_PORT). */
  pglite: number;
  /** Twilio simulator (APEX_TWILIO_SIM_PORT). */
  twilioSimulator: number;
  /** Webhook receiver that verifies Apex's signatures (APEX_WEBHOOK_RECEIVER_PORT). */
  webhookReceiver: number;
  /** Gemini simulator, unless GEMINI_API_KEY is set (APEX_GEMINI_SIM_PORT). */
  geminiSimulator: number;
  /** The local gig board the lead hunter reads (APEX_GIGS_BOARD_PORT). */
  gigsBoard: number;
  /** The local trades board (APEX_TRADES_BOARD_PORT). */
  tradesBoard: number;
  /** OpenStreetMap's Overpass API, simulated, for the pSEO scout (APEX_OVERPASS_SIM_PORT). */
  overpassSimulator: number;
  /** Google Search Console's Search Analytics, simulated, for pSEO analytics (APEX_GSC_SIM_PORT). */
  searchConsoleSimulator: number;
  /** A real local WordPress for pSEO publishing (APEX_WORDPRESS_PORT). */
  wordpress: number;
}

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name}=${raw} is not a port`);
  return value;
}

export function portsFromEnvironment(): Ports {
  return {
    worker: port("APEX_PORT", 8787),
    inspector: port("APEX_INSPECTOR_PORT", 9230),
    relay: port("APEX_RELAY_PORT", 8790),
    pglite: port("APEX_PGLITE_PORT", 5433),
    twilioSimulator: port("APEX_TWILIO_SIM_PORT", 8791),
    webhookReceiver: port("APEX_WEBHOOK_RECEIVER_PORT", 8792),
    geminiSimulator: port("APEX_GEMINI_SIM_PORT", 8793),
    gigsBoard: port("APEX_GIGS_BOARD_PORT", 8794),
    tradesBoard: port("APEX_TRADES_BOARD_PORT", 8795),
    overpassSimulator: port("APEX_OVERPASS_SIM_PORT", 8796),
    wordpress: port("APEX_WORDPRESS_PORT", 8797),
    searchConsoleSimulator: port("APEX_GSC_SIM_PORT", 8798),
  };
}
