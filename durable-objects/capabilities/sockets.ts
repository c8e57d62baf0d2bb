import { z } from "zod";
import { CHANNEL_PATTERN, matches, type TenantEvent } from "./events";

/**
 * WebSocket channels held by the tenant object with the hibernation API: the
 * object may be evicted while sockets stay open; each socket's subscriptions
 * and flow-control counters live in its serialized attachment, not in memory.
 *
 * Flow control is by acknowledgement, because workerd's WebSocket has no
 * `bufferedAmount` (cloudflare/workerd#988): the object cannot see a client's
 * unread bytes, so the client tells it what it has processed. A socket may
 * have at most SOCKET_WINDOW_BYTES of events sent and not yet acknowledged;
 * past that it is closed with 4008 and reconnects from its last sequence
 * (docs/decisions/007-websocket-flow-control.md).
 */
export const SOCKET_WINDOW_BYTES = 1024 * 1024;
export const SLOW_CONSUMER_CLOSE = 4008;
/** Close code for a socket whose session ended or whose user's membership changed. */
export const SESSION_ENDED_CLOSE = 4001;
/** The Worker → object header naming who opened a socket (role, user, session) as JSON. */
export const SOCKET_OWNER_HEADER = "x-apex-socket-owner";

export const clientFrame = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("subscribe"),
    channels: z.array(z.string().regex(CHANNEL_PATTERN)).min(1).max(20),
    /** Resume: also send the logged events after this sequence. */
    cursor: z.number().int().min(0).optional(),
  }),
  z.object({ type: z.literal("unsubscribe"), channels: z.array(z.string()).max(20) }),
  /** "I have processed every event up to `seq`": reopens the window. */
  z.object({ type: z.literal("ack"), seq: z.number().int().min(0) }),
  z.object({ type: z.literal("ping") }),
]);
export type ClientFrame = z.infer<typeof clientFrame>;

/**
 * Who opened the socket, fixed at the upgrade: the role decides which
 * channels it may join (channel-access.ts); user and session let a role
 * change, removal or logout close it (sessions.ts). A socket from before
 * these fields existed reads as a viewer with no session: least power.
 */
export const socketOwner = z.object({
  role: z.enum(["owner", "admin", "member", "viewer"]).default("viewer"),
  userId: z.string().optional(),
  sid: z.string().optional(),
});
export type SocketOwner = z.infer<typeof socketOwner>;

export const socketAttachment = socketOwner.extend({
  channels: z.array(z.string()),
  lastSentSeq: z.number().int().default(0),
  unackedBytes: z.number().int().default(0),
});
export type SocketAttachment = z.infer<typeof socketAttachment>;

export function attachmentOf(socket: WebSocket): SocketAttachment {
  const parsed = socketAttachment.safeParse(socket.deserializeAttachment());
  return parsed.success ? parsed.data : { role: "viewer", channels: [], lastSentSeq: 0, unackedBytes: 0 };
}

export function channelsOf(socket: WebSocket): string[] {
  return attachmentOf(socket).channels;
}

export function eventFrame(event: TenantEvent): string {
  return JSON.stringify({
    type: "event",
    seq: event.seq,
    channel: event.channel,
    event: event.type,
    data: JSON.parse(event.dataJson),
    at: event.at,
  });
}

export function wants(socket: WebSocket, channel: string): boolean {
  return matches(channel, channelsOf(socket));
}

/**
 * Sends one event frame within the socket's window. Returns false (and
 * closes the socket) when the client has let the window fill up.
 */
export function sendWithinWindow(socket: WebSocket, seq: number, frame: string): boolean {
  const state = attachmentOf(socket);
  // A runtime that does report its buffer gets the same bound on it.
  const buffered = (socket as { bufferedAmount?: number }).bufferedAmount ?? 0;
  if (state.unackedBytes > SOCKET_WINDOW_BYTES || buffered > SOCKET_WINDOW_BYTES) {
    socket.close(SLOW_CONSUMER_CLOSE, "slow consumer: reconnect and resume from your last seq");
    return false;
  }
  socket.send(frame);
  socket.serializeAttachment({ ...state, lastSentSeq: seq, unackedBytes: state.unackedBytes + frame.length });
  return true;
}

/** An ack of the newest sequence sent empties the window; an older ack changes nothing. */
export function acknowledge(socket: WebSocket, seq: number): void {
  const state = attachmentOf(socket);
  if (seq >= state.lastSentSeq) socket.serializeAttachment({ ...state, unackedBytes: 0 });
}
