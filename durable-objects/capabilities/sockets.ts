import { z } from "zod";
import { forbiddenChannels } from "./channel-access";
import { CHANNEL_PATTERN, type EventPage, matches, type TenantEvent } from "./events";

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
 *
 * Only the upgrade arrives by fetch; everything after it is frames, answered
 * here. The hub keeps no state of its own: the runtime holds the sockets.
 */
const SOCKET_WINDOW_BYTES = 1024 * 1024;
const SLOW_CONSUMER_CLOSE = 4008;
/** Close code for a socket whose session ended or whose user's membership changed. */
const SESSION_ENDED_CLOSE = 4001;
/** The Worker → object header naming who opened a socket (role, user, session) as JSON. */
export const SOCKET_OWNER_HEADER = "x-apex-socket-owner";

const clientFrame = z.discriminatedUnion("type", [
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
type ClientFrame = z.infer<typeof clientFrame>;

/**
 * Who opened the socket, fixed at the upgrade: the role decides which
 * channels it may join (channel-access.ts); user and session let a role
 * change, removal or logout close it (sessions.ts). A socket from before
 * these fields existed reads as a viewer with no session: least power.
 */
const socketOwner = z.object({
  role: z.enum(["owner", "admin", "member", "viewer"]).default("viewer"),
  userId: z.string().optional(),
  sid: z.string().optional(),
});
type SocketOwner = z.infer<typeof socketOwner>;

const socketAttachment = socketOwner.extend({
  channels: z.array(z.string()),
  lastSentSeq: z.number().int().default(0),
  unackedBytes: z.number().int().default(0),
});
type SocketAttachment = z.infer<typeof socketAttachment>;

function attachmentOf(socket: WebSocket): SocketAttachment {
  const parsed = socketAttachment.safeParse(socket.deserializeAttachment());
  return parsed.success ? parsed.data : { role: "viewer", channels: [], lastSentSeq: 0, unackedBytes: 0 };
}

function channelsOf(socket: WebSocket): string[] {
  return attachmentOf(socket).channels;
}

function eventFrame(event: TenantEvent): string {
  return JSON.stringify({
    type: "event",
    seq: event.seq,
    channel: event.channel,
    event: event.type,
    data: JSON.parse(event.dataJson),
    at: event.at,
  });
}

function wants(socket: WebSocket, channel: string): boolean {
  return matches(channel, channelsOf(socket));
}

/**
 * Sends one event frame within the socket's window. Returns false (and
 * closes the socket) when the client has let the window fill up.
 */
function sendWithinWindow(socket: WebSocket, seq: number, frame: string): boolean {
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
function acknowledge(socket: WebSocket, seq: number): void {
  const state = attachmentOf(socket);
  if (seq >= state.lastSentSeq) socket.serializeAttachment({ ...state, unackedBytes: 0 });
}

const FORBIDDEN_DETAIL = "your role may not subscribe to these channels; nothing was subscribed";
const BACKLOG_LIMIT = 500;
const MAX_CHANNELS = 50;

interface SocketsHost {
  /** Hands a server socket to the runtime (hibernation API). */
  accept(socket: WebSocket): void;
  sockets(): WebSocket[];
  /** Logged events after `cursor`, for a client that resumes. */
  backlog(cursor: number, channels: string[], limit: number): EventPage;
}

export class SocketHub {
  constructor(private readonly host: SocketsHost) {}

  /**
   * The upgrade. The Worker has authenticated it and states who opened it in
   * SOCKET_OWNER_HEADER (set by the Worker, never passed through from the client).
   */
  accept(request: Request): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const owner = ownerOf(request);
    if (!owner) return new Response(`${SOCKET_OWNER_HEADER} is missing or malformed`, { status: 400 });
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.host.accept(server);
    server.serializeAttachment({ ...owner, channels: [], lastSentSeq: 0, unackedBytes: 0 });
    return new Response(null, { status: 101, webSocket: client, headers: { "Sec-WebSocket-Protocol": "apex.v1" } });
  }

  message(socket: WebSocket, message: string | ArrayBuffer): void {
    let frame: ClientFrame;
    try {
      frame = clientFrame.parse(JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message)));
    } catch {
      socket.send(JSON.stringify({ type: "error", detail: "frames are JSON: subscribe, unsubscribe, ack or ping" }));
      return;
    }
    if (frame.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (frame.type === "ack") {
      acknowledge(socket, frame.seq);
    } else if (frame.type === "subscribe") {
      this.subscribe(socket, frame);
    } else {
      const channels = channelsOf(socket).filter((c) => !frame.channels.includes(c));
      socket.serializeAttachment({ ...attachmentOf(socket), channels });
      socket.send(JSON.stringify({ type: "unsubscribed", channels }));
    }
  }

  closed(socket: WebSocket, code: number, reason: string): void {
    // 1005 means "no code given"; echoing it back throws.
    socket.close(code === 1005 ? 1000 : code, reason);
  }

  /** Pushes a just-logged event to every socket subscribed to its channel. */
  push(event: TenantEvent): void {
    const frame = eventFrame(event);
    for (const socket of this.host.sockets()) {
      if (!wants(socket, event.channel)) continue;
      // Backpressure: a client that cannot keep up is cut off, never buffered without limit.
      // It reconnects and resumes from its last sequence (or falls back to long-poll).
      try {
        sendWithinWindow(socket, event.seq, frame);
      } catch {
        socket.close(1011, "send failed");
      }
    }
  }

  /** Ends the sockets `whose` picks (a session ended, a membership changed). */
  closeWhere(whose: (owner: SocketOwner) => boolean, reason: string): void {
    for (const socket of this.host.sockets()) {
      if (whose(attachmentOf(socket))) socket.close(SESSION_ENDED_CLOSE, reason);
    }
  }

  private subscribe(socket: WebSocket, frame: Extract<ClientFrame, { type: "subscribe" }>): void {
    const refused = forbiddenChannels(attachmentOf(socket).role, frame.channels);
    if (refused.length > 0) {
      socket.send(JSON.stringify({ type: "error", code: "forbidden", channels: refused, detail: FORBIDDEN_DETAIL }));
      return;
    }
    const channels = [...new Set([...channelsOf(socket), ...frame.channels])].slice(0, MAX_CHANNELS);
    socket.serializeAttachment({ ...attachmentOf(socket), channels });
    if (frame.cursor !== undefined) {
      const backlog = this.host.backlog(frame.cursor, frame.channels, BACKLOG_LIMIT);
      if (backlog.gap) socket.send(JSON.stringify({ type: "gap", latest: backlog.latest }));
      for (const event of backlog.events) if (!sendWithinWindow(socket, event.seq, eventFrame(event))) return;
    }
    socket.send(JSON.stringify({ type: "subscribed", channels, windowBytes: SOCKET_WINDOW_BYTES }));
  }
}

function ownerOf(request: Request): SocketOwner | undefined {
  try {
    const parsed = socketOwner.safeParse(JSON.parse(request.headers.get(SOCKET_OWNER_HEADER) ?? ""));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
