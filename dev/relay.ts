/**
 * The local stand-in for Neon's WebSocket proxy and pooler: the Neon
 * serverless driver opens a WebSocket, and every binary frame is raw Postgres
 * wire protocol. We pass those bytes to ONE configured database. The
 * `address` the driver names in the URL is deliberately ignored: a relay that
 * dialled addresses taken from requests would be an open proxy.
 *
 * Like Neon's pooler, it holds at most `maxConnections` database connections
 * (default 60, under the machine's Postgres limit of 100 with room for tools
 * and migrations) and queues the rest: a burst of Worker invocations waits
 * for a connection instead of being refused with "too many clients".
 *
 * Every Worker invocation opens its own WebSocket, so without reuse each one
 * would pay for a new Postgres backend (fork, authentication, cold catalog
 * caches). With `reuseConnections` (decision 030) a connection whose client
 * has gone is reset — ROLLBACK if a transaction was left open, then DISCARD
 * ALL — and handed to the next client that asks for the same startup packet
 * (same user, database and options), which is greeted with the server's
 * original greeting. Only connections the server admitted without a password
 * exchange are reused, so reuse never lets a client skip authentication; a
 * connection left mid-request, mid-COPY, or whose reset fails is closed.
 */
import net from "node:net";
import { WebSocketServer } from "ws";
import {
  CANCEL_REQUEST,
  GSSENC_REQUEST,
  type Message,
  MessageStream,
  PROTOCOL_3,
  SSL_REQUEST,
  simpleQuery,
  startupPacket,
} from "./postgres-frames.ts";
import { emptyWireCounts, type WireCounts, wireCounter } from "./wire-counts.ts";

export interface Relay {
  port: number;
  /** What every client has asked of the database so far (dev/wire-counts.ts). */
  counts(): WireCounts;
  /** Database connections opened so far, and how many are open now (idle ones included). */
  connections(): { opened: number; open: number; idle: number };
  close(): Promise<void>;
}

/** One connection to the database, lent to one client at a time. */
interface Backend {
  socket: net.Socket;
  /** The startup packet it was opened with: only a client sending the same one may reuse it. */
  key: string;
  /** What the server said from AuthenticationOk to the first ReadyForQuery, replayed to the next client. */
  greeting: Buffer[];
  greeted: boolean;
  reusable: boolean;
  /** The transaction status of the last ReadyForQuery: I, T or E. */
  status: string;
  /** The client's Sync and Query messages not yet answered by a ReadyForQuery. */
  outstanding: number;
  frames: MessageStream;
  receive: (messages: Message[]) => void;
  lost: () => void;
  gone: boolean;
}

interface Request {
  key: string;
  startup: Buffer;
  closed: () => boolean;
  serve: (backend: Backend, fresh: boolean) => void;
}

/** Copy-in/out/both responses: the connection is in a mode a reset cannot end cleanly. */
const COPY_RESPONSES = new Set(["G", "H", "W"]);

export async function startRelay(options: {
  port: number;
  target: { host: string; port: number };
  maxConnections?: number;
  reuseConnections?: boolean;
}): Promise<Relay> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: options.port });
  const limit = options.maxConnections ?? 60;
  const reuse = options.reuseConnections ?? false;
  const all = new Set<Backend>();
  const idle: Backend[] = [];
  const waiting: Request[] = [];
  let opened = 0;
  const counts = emptyWireCounts();

  const forget = (backend: Backend) => {
    if (backend.gone) return;
    backend.gone = true;
    all.delete(backend);
    const at = idle.indexOf(backend);
    if (at >= 0) idle.splice(at, 1);
  };
  const destroy = (backend: Backend) => {
    forget(backend);
    backend.socket.destroy();
  };
  const wake = () => {
    while (waiting.length > 0 && tryServe(waiting[0] as Request)) waiting.shift();
  };

  const dial = (request: Request): Backend => {
    opened += 1;
    const socket = net.connect(options.target.port, options.target.host);
    socket.setNoDelay(true);
    const backend: Backend = {
      socket,
      key: request.key,
      greeting: [],
      greeted: false,
      reusable: reuse,
      status: "I",
      outstanding: 0,
      frames: new MessageStream(),
      receive: () => undefined,
      lost: () => undefined,
      gone: false,
    };
    all.add(backend);
    socket.on("data", (data: Buffer) => backend.receive(backend.frames.push(data)));
    socket.on("error", () => undefined); // "close" follows
    socket.once("close", () => {
      forget(backend);
      backend.lost();
      wake();
    });
    socket.write(request.startup);
    return backend;
  };

  /** Serves a request now if a connection is free or may be opened; false if it must wait. */
  const tryServe = (request: Request): boolean => {
    if (request.closed()) return true;
    const match = idle.findIndex((backend) => backend.key === request.key);
    if (match >= 0) {
      const [backend] = idle.splice(match, 1);
      request.serve(backend as Backend, false);
      return true;
    }
    if (all.size >= limit) {
      // Full, but an idle connection for another database may make room.
      const spare = idle[0];
      if (!spare) return false;
      destroy(spare);
    }
    request.serve(dial(request), true);
    return true;
  };

  /** The client is done with `backend`: reset it for the next one, or close it. */
  const release = (backend: Backend) => {
    backend.lost = () => undefined;
    const clean = backend.greeted && backend.outstanding === 0 && backend.frames.atBoundary;
    if (!backend.reusable || !clean || backend.gone) return destroy(backend);
    const reset = backend.status === "I" ? ["DISCARD ALL"] : ["ROLLBACK", "DISCARD ALL"];
    let unanswered = reset.length;
    let failed = false;
    backend.receive = (messages) => {
      for (const message of messages) {
        if (message.type === "E") failed = true;
        if (message.type !== "Z") continue;
        unanswered -= 1;
        if (unanswered > 0) continue;
        if (failed || message.body[0] !== 73 /* I */) return destroy(backend);
        backend.status = "I";
        backend.receive = () => destroy(backend); // an idle connection has nothing to say
        idle.push(backend);
        wake();
      }
    };
    backend.socket.write(Buffer.concat(reset.map(simpleQuery)));
  };

  server.on("connection", (socket) => {
    const count = wireCounter(counts);
    const fromClient = new MessageStream();
    let startup: Buffer | undefined = Buffer.alloc(0);
    let backend: Backend | undefined;
    let reused = false;
    let closed = false;
    const early: Message[] = [];

    const toServer = (messages: Message[]) => {
      if (!backend) return void early.push(...messages);
      const out: Buffer[] = [];
      let terminated = false;
      for (const message of messages) {
        // Terminate ends the client's session, not the pooled connection.
        if (message.type === "X") terminated = true;
        // A reused connection was admitted without a password; one sent unasked has no one to answer it.
        else if (message.type === "p" && reused) continue;
        else {
          if (message.type === "S" || message.type === "Q") backend.outstanding += 1;
          out.push(message.bytes);
        }
      }
      if (out.length > 0) backend.socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
      if (terminated) socket.close();
    };

    const toClient = (messages: Message[]) => {
      const current = backend as Backend;
      for (const message of messages) {
        if (!current.greeted) {
          if (message.type === "R") {
            const code = message.body.readInt32BE(0);
            // Any challenge (password, MD5, SASL) means this connection carries a login: never lend it on.
            if (code !== 0) current.reusable = false;
            else current.greeting.push(message.bytes);
          } else if (current.greeting.length > 0 && message.type !== "E") current.greeting.push(message.bytes);
          if (message.type === "E") current.reusable = false;
          if (message.type === "Z") {
            current.greeted = true;
            current.status = String.fromCharCode(message.body[0] as number);
          }
          continue;
        }
        if (message.type === "Z") {
          current.outstanding -= 1;
          current.status = String.fromCharCode(message.body[0] as number);
        } else if (COPY_RESPONSES.has(message.type)) current.reusable = false;
      }
      socket.send(messages.length === 1 ? (messages[0] as Message).bytes : Buffer.concat(messages.map((m) => m.bytes)));
    };

    const serve = (lent: Backend, fresh: boolean) => {
      backend = lent;
      reused = !fresh;
      lent.outstanding = 0;
      lent.receive = toClient;
      lent.lost = () => socket.close();
      if (!fresh) socket.send(Buffer.concat(lent.greeting));
      toServer(early.splice(0));
    };

    socket.on("message", (data: Buffer) => {
      count(data);
      if (startup === undefined) return toServer(fromClient.push(data));
      startup = Buffer.concat([startup, data]);
      for (;;) {
        const packet = startupPacket(startup);
        if (!packet) return;
        startup = packet.rest;
        if (packet.code === SSL_REQUEST || packet.code === GSSENC_REQUEST) {
          socket.send(Buffer.from("N")); // no TLS between the relay and a local database
          continue;
        }
        if (packet.code === CANCEL_REQUEST) {
          // A cancel goes to the server on a connection of its own, as Postgres expects.
          net
            .connect(options.target.port, options.target.host)
            .on("error", () => undefined)
            .end(packet.packet);
          socket.close();
          return;
        }
        if (packet.code !== PROTOCOL_3) return void socket.close(1002, "unsupported startup packet");
        const rest = startup;
        startup = undefined;
        const request: Request = {
          key: packet.packet.toString("latin1"),
          startup: Buffer.from(packet.packet),
          closed: () => closed,
          serve,
        };
        if (!tryServe(request)) waiting.push(request);
        if (rest.length > 0) toServer(fromClient.push(rest));
        return;
      }
    });
    socket.on("close", () => {
      closed = true;
      if (backend) release(backend);
    });
    socket.on("error", () => undefined); // "close" follows
  });

  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", reject);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    port,
    counts: () => ({ ...counts }),
    connections: () => ({ opened, open: all.size, idle: idle.length }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        for (const backend of [...all]) destroy(backend);
        server.close(() => resolve());
      }),
  };
}
