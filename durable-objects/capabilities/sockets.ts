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
 * (docs/decisions/007-websocket-flow-control.md). Acks are cumulative: one
 * ack frees every event up to its sequence, so a client acks now and then,
 * not per event — each ack wakes this object, which is what fan-out waited on.
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
  /** "I have processed every event up to and including `seq`": frees them from the window. */
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
  /** The highest sequence sent (a resumed backlog may send lower ones after it). */
  lastSentSeq: z.number().int().default(0),
  unackedBytes: z.number().int().default(0),
});
type SocketAttachment = z.infer<typeof socketAttachment>;

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

const utf8 = new TextEncoder();

/** What one event's fan-out cost the object: the bench reads these to split its latency (bench/fanout.ts). */
export interface FanOutTiming {
  seq: number;
  channel: string;
  /** Sockets the object holds, and how many of them were subscribed to the channel. */
  sockets: number;
  sent: number;
  /** Wall clock when the send loop began, so a client on the same machine can line it up with its own. */
  startedAt: number;
  /**
   * The send loop's duration. On Cloudflare the clock stands still while
   * code runs, so this reads 0 there; under local workerd it is real.
   */
  loopMs: number;
}
const FAN_OUT_TIMINGS_KEPT = 100;

/**
 * The events a socket was sent and has not acknowledged, oldest first, so an
 * ack of seq N frees exactly the bytes of the events up to N. Their bytes
 * always sum to the attachment's `unackedBytes`. Kept in memory, not in the
 * attachment: that is rewritten on every send and would grow with the window.
 * After hibernation it is rebuilt from the attachment as one entry at
 * `lastSentSeq` holding every unacked byte, so an ack then frees either all
 * of them or none: never more than was acknowledged.
 */
interface Unacked {
  seqs: number[];
  bytes: number[];
}
/**
 * Beyond this many unacked events the two oldest are merged (under the
 * later seq): it bounds the memory of a client that stopped acking, and
 * only delays freeing for an ack that falls between the two — the oldest,
 * which a client acking at all has long passed.
 */
const UNACKED_EVENTS_KEPT = 1024;

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
  /**
   * Each socket's attachment as last written, parsed once. The send loop
   * reads every socket's state on every event; deserializing and validating
   * 1,000 attachments per event was half of that loop (bench/fanout.ts).
   * Every write goes through `write`, so the two never disagree. The runtime
   * keeps one object per socket while this object is in memory; after
   * hibernation the map starts empty and each attachment is read once again.
   */
  private readonly states = new WeakMap<WebSocket, SocketAttachment>();
  private readonly unacked = new WeakMap<WebSocket, Unacked>();
  private readonly timings: FanOutTiming[] = [];

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
    this.write(server, { ...owner, channels: [], lastSentSeq: 0, unackedBytes: 0 });
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
      this.acknowledge(socket, frame.seq);
    } else if (frame.type === "subscribe") {
      this.subscribe(socket, frame);
    } else {
      const state = this.stateOf(socket);
      const channels = state.channels.filter((c) => !frame.channels.includes(c));
      this.write(socket, { ...state, channels });
      socket.send(JSON.stringify({ type: "unsubscribed", channels }));
    }
  }

  closed(socket: WebSocket, code: number, reason: string): void {
    // 1005 means "no code given"; echoing it back throws.
    socket.close(code === 1005 ? 1000 : code, reason);
  }

  /**
   * Pushes a just-logged event to every socket subscribed to its channel.
   * The frame and its size are computed once for the event: every socket
   * receives the same text (who may hear a channel was settled when it
   * subscribed), so the loop only filters, checks the window and sends.
   */
  push(event: TenantEvent): void {
    const startedAt = Date.now();
    const started = performance.now();
    const sockets = this.host.sockets();
    // Built for the first socket that hears the event: most writes have no one listening.
    let frame: string | undefined;
    let bytes = 0;
    let sent = 0;
    for (const socket of sockets) {
      const state = this.stateOf(socket);
      if (!matches(event.channel, state.channels)) continue;
      if (frame === undefined) {
        frame = eventFrame(event);
        bytes = utf8.encode(frame).byteLength;
      }
      // Backpressure: a client that cannot keep up is cut off, never buffered without limit.
      // It reconnects and resumes from its last sequence (or falls back to long-poll).
      try {
        if (this.sendWithinWindow(socket, state, event.seq, frame, bytes)) sent += 1;
      } catch {
        socket.close(1011, "send failed");
      }
    }
    const timing = { seq: event.seq, channel: event.channel, sockets: sockets.length, sent, startedAt };
    this.timings.push({ ...timing, loopMs: performance.now() - started });
    if (this.timings.length > FAN_OUT_TIMINGS_KEPT) this.timings.shift();
  }

  /** The last fan-outs' costs, oldest first; kept in memory only, so an eviction forgets them. */
  recentFanOuts(): FanOutTiming[] {
    return [...this.timings];
  }

  /** Ends the sockets `whose` picks (a session ended, a membership changed). */
  closeWhere(whose: (owner: SocketOwner) => boolean, reason: string): void {
    for (const socket of this.host.sockets()) {
      if (whose(this.stateOf(socket))) socket.close(SESSION_ENDED_CLOSE, reason);
    }
  }

  private subscribe(socket: WebSocket, frame: Extract<ClientFrame, { type: "subscribe" }>): void {
    const state = this.stateOf(socket);
    const refused = forbiddenChannels(state.role, frame.channels);
    if (refused.length > 0) {
      socket.send(JSON.stringify({ type: "error", code: "forbidden", channels: refused, detail: FORBIDDEN_DETAIL }));
      return;
    }
    const channels = [...new Set([...state.channels, ...frame.channels])].slice(0, MAX_CHANNELS);
    this.write(socket, { ...state, channels });
    if (frame.cursor !== undefined) {
      const backlog = this.host.backlog(frame.cursor, frame.channels, BACKLOG_LIMIT);
      if (backlog.gap) socket.send(JSON.stringify({ type: "gap", latest: backlog.latest }));
      for (const event of backlog.events) {
        const text = eventFrame(event);
        if (!this.sendWithinWindow(socket, this.stateOf(socket), event.seq, text, utf8.encode(text).byteLength)) return;
      }
    }
    socket.send(JSON.stringify({ type: "subscribed", channels, windowBytes: SOCKET_WINDOW_BYTES }));
  }

  /**
   * Sends one event frame within the socket's window. Returns false (and
   * closes the socket) when the client has let the window fill up.
   */
  private sendWithinWindow(
    socket: WebSocket,
    state: SocketAttachment,
    seq: number,
    frame: string,
    bytes: number,
  ): boolean {
    // A runtime that does report its buffer gets the same bound on it.
    const buffered = (socket as { bufferedAmount?: number }).bufferedAmount ?? 0;
    if (state.unackedBytes > SOCKET_WINDOW_BYTES || buffered > SOCKET_WINDOW_BYTES) {
      socket.close(SLOW_CONSUMER_CLOSE, "slow consumer: reconnect and resume from your last seq");
      return false;
    }
    socket.send(frame);
    const unacked = this.unackedOf(socket, state);
    unacked.seqs.push(seq);
    unacked.bytes.push(bytes);
    if (unacked.seqs.length > UNACKED_EVENTS_KEPT) {
      const [seqs, sizes] = [unacked.seqs, unacked.bytes];
      seqs[1] = Math.max(seqs[0] as number, seqs[1] as number);
      sizes[1] = (sizes[0] as number) + (sizes[1] as number);
      seqs.shift();
      sizes.shift();
    }
    // Written per send, not kept in memory alone: the window must survive hibernation (decision 007).
    const lastSentSeq = Math.max(state.lastSentSeq, seq);
    this.write(socket, { ...state, lastSentSeq, unackedBytes: state.unackedBytes + bytes });
    return true;
  }

  /**
   * Cumulative: frees every unacked event whose sequence is at most `seq`.
   * A per-event ack is the same message naming one event, so older clients
   * work unchanged. An ack that frees nothing writes nothing.
   */
  private acknowledge(socket: WebSocket, seq: number): void {
    const state = this.stateOf(socket);
    if (state.unackedBytes === 0) return;
    const unacked = this.unackedOf(socket, state);
    if (seq >= state.lastSentSeq) {
      unacked.seqs = [];
      unacked.bytes = [];
      this.write(socket, { ...state, unackedBytes: 0 });
      return;
    }
    // Not always in order (a resumed backlog), so every entry is looked at; there are at most UNACKED_EVENTS_KEPT.
    const kept: Unacked = { seqs: [], bytes: [] };
    let remaining = 0;
    unacked.seqs.forEach((sent, i) => {
      if (sent <= seq) return;
      const size = unacked.bytes[i] as number;
      kept.seqs.push(sent);
      kept.bytes.push(size);
      remaining += size;
    });
    if (remaining === state.unackedBytes) return;
    this.unacked.set(socket, kept);
    this.write(socket, { ...state, unackedBytes: remaining });
  }

  private unackedOf(socket: WebSocket, state: SocketAttachment): Unacked {
    const known = this.unacked.get(socket);
    if (known) return known;
    const rebuilt: Unacked =
      state.unackedBytes > 0 ? { seqs: [state.lastSentSeq], bytes: [state.unackedBytes] } : { seqs: [], bytes: [] };
    this.unacked.set(socket, rebuilt);
    return rebuilt;
  }

  private stateOf(socket: WebSocket): SocketAttachment {
    const known = this.states.get(socket);
    if (known) return known;
    const parsed = socketAttachment.safeParse(socket.deserializeAttachment());
    const state: SocketAttachment = parsed.success
      ? parsed.data
      : { role: "viewer", channels: [], lastSentSeq: 0, unackedBytes: 0 };
    this.states.set(socket, state);
    return state;
  }

  private write(socket: WebSocket, state: SocketAttachment): void {
    socket.serializeAttachment(state);
    this.states.set(socket, state);
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
