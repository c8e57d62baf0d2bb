/**
 * The live connection's ack rule (decision 007, amended), in a plain .ts
 * module so that the UI (app/lib/live.tsx) and the fan-out bench
 * (bench/fanout-clients.ts, run by Node, which cannot import .tsx) share one
 * copy: the bench measures what the UI does.
 */

/** With no new event for this long (plus the jitter), the newest event is acknowledged. */
export const ACK_QUIET_MS = 2_000;
/** Up to this much at random on top of the quiet spell, so tabs that saw the same event do not ack at once. */
export const ACK_QUIET_JITTER_MS = 2_000;
/** An ack goes out at once when this share of the server's window is unacknowledged. */
export const ACK_AT_WINDOW_FRACTION = 1 / 4;
