/**
 * The local stand-in for Neon's WebSocket proxy and pooler: the Neon
 * serverless driver opens a WebSocket, and every binary frame is raw Postgres
 * wire protocol. We pass those bytes to ONE configured database. The
 * `address` the driver names in the URL is deliberately ignored: a relay that
 * dialled addresses taken from requests would be an open proxy.
 *
 * It holds at most `maxConnections` database connections (default 60, under
 * the machine's Postgres limit of 100 with room for tools and migrations) and
 * queues the rest: a burst of Worker invocations waits for a connection
 * instead of being refused with "too many clients".
 *
 * Every Worker invocation opens its own WebSocket. Without
 * `reuseConnections` each one gets a database connection of its own for its
 * whole life, as with Neon's direct endpoint. With it (decision 030) the
 * relay pools like Neon's `-pooler` endpoint (PgBouncer in transaction mode):
 * a client holds a database connection only from its first message to the
 * ReadyForQuery that leaves it idle, outside a transaction, with nothing
 * unanswered; between transactions the connection serves other clients, so a
 * thousand slow requests share sixty connections. A client is greeted with
 * the greeting its startup packet (same user, database and options) got from
 * the server before, and a connection that last served another client is
 * first reset (DISCARD ALL, sent ahead of the client's messages). A client
 * that leaves inside a transaction is rolled back. Only connections the
 * server admitted without a password exchange are shared, so sharing never
 * lets a client skip authentication; a connection that asked for a password
 * stays with its client. One difference from a direct connection: session
 * state (SET without LOCAL, named prepared statements) does not outlive a
 * transaction — Apex's code keeps its settings transaction-local.
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
  /** The startup packet it was opened with: only a client sending the same one may use it. */
  key: string;
  /** What the server said from AuthenticationOk to the first ReadyForQuery. */
  greeting: Buffer[];
  greeted: boolean;
  /** Admitted without a password and in no state a reset cannot end: may serve other clients. */
  shareable: boolean;
  /** The transaction status of the last ReadyForQuery: I, T or E. */
  status: string;
  /** The client's Sync and Query messages not yet answered by a ReadyForQuery. */
  outstanding: number;
  /** Messages forwarded since the client's last Sync or Query (a request still being sent). */
  unsynced: number;
  /** Answers the client did not ask for (the greeting of a connection opened for a greeted client, a reset) end at the next ReadyForQuery. */
  swallowing: boolean;
  /** Who used it last, and whether it was reset since: another client gets it only after DISCARD ALL. */
  lastClient: object | undefined;
  clean: boolean;
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
const DISCARD = simpleQuery("DISCARD ALL");
const I = 73;

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
  /** The greeting each startup packet got from a connection that may be shared. */
  const greetings = new Map<string, Buffer>();
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
  // Serving a waiter can free a connection again at once (a client that only wanted its greeting), which
  // wakes the queue again: the loop below takes those turns, not the stack.
  let waking = false;
  const wake = () => {
    if (waking) return;
    waking = true;
    try {
      while (waiting.length > 0 && tryServe(waiting[0] as Request)) waiting.shift();
    } finally {
      waking = false;
    }
  };
  const park = (backend: Backend) => {
    backend.receive = () => destroy(backend); // an idle connection has nothing to say
    backend.lost = () => undefined;
    idle.push(backend);
    wake();
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
      shareable: reuse,
      status: "I",
      outstanding: 0,
      unsynced: 0,
      swallowing: false,
      lastClient: undefined,
      clean: true,
      frames: new MessageStream(),
      receive: () => undefined,
      lost: () => undefined,
      gone: false,
    };
    all.add(backend);
    socket.on("data", (data: Buffer) => {
      const messages = backend.frames.push(data);
      if (messages === undefined) return void socket.destroy();
      backend.receive(messages);
    });
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

  /** The client left while holding `backend`: roll back and reset it for the next one, or close it. */
  const release = (backend: Backend) => {
    backend.lost = () => undefined;
    const settled =
      backend.greeted &&
      !backend.swallowing &&
      backend.outstanding === 0 &&
      backend.unsynced === 0 &&
      backend.frames.atBoundary;
    if (!backend.shareable || !settled || backend.gone) return destroy(backend);
    const reset = backend.status === "I" ? ["DISCARD ALL"] : ["ROLLBACK", "DISCARD ALL"];
    let unanswered = reset.length;
    let failed = false;
    backend.receive = (messages) => {
      for (const message of messages) {
        if (message.type === "E") failed = true;
        if (message.type !== "Z") continue;
        unanswered -= 1;
        if (unanswered > 0) continue;
        if (failed || message.body[0] !== I) return destroy(backend);
        backend.status = "I";
        backend.clean = true;
        backend.lastClient = undefined;
        park(backend);
      }
    };
    backend.socket.write(Buffer.concat(reset.map(simpleQuery)));
  };

  server.on("connection", (socket) => {
    const count = wireCounter(counts);
    const self = {};
    const fromClient = new MessageStream();
    let startup: Buffer | undefined = Buffer.alloc(0);
    let request: Request | undefined;
    let greeted = false;
    let backend: Backend | undefined;
    let asking = false;
    let closed = false;
    let resetFailed = false;
    const queued: Message[] = [];

    const send = (chunks: Buffer[]) => {
      if (chunks.length > 0) socket.send(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    };

    const forward = (lent: Backend, messages: Message[]) => {
      const out: Buffer[] = [];
      let terminated = false;
      for (const message of messages) {
        // Terminate ends the client's session, not the database connection.
        if (message.type === "X") terminated = true;
        // A shared connection was admitted without a password; one sent unasked has no one to answer it.
        else if (message.type === "p" && lent.shareable && lent.greeted) continue;
        else {
          if (message.type === "S" || message.type === "Q") {
            lent.outstanding += 1;
            lent.unsynced = 0;
          } else lent.unsynced += 1;
          out.push(message.bytes);
        }
      }
      if (out.length > 0) {
        lent.clean = false;
        lent.socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
      }
      if (terminated) socket.close();
    };

    /** Between transactions a shared connection goes back to the pool. */
    const detachIfIdle = () => {
      const lent = backend;
      if (!reuse || !lent?.shareable || !lent.greeted || lent.swallowing) return;
      if (lent.outstanding !== 0 || lent.unsynced !== 0 || lent.status !== "I") return;
      if (!fromClient.atBoundary || queued.length > 0) return;
      backend = undefined;
      park(lent);
    };

    const fromServer = (messages: Message[]) => {
      const lent = backend as Backend;
      const out: Buffer[] = [];
      for (const message of messages) {
        if (!lent.greeted) {
          if (message.type === "R") {
            const code = message.body.readInt32BE(0);
            if (code !== 0) {
              // A password exchange: this connection carries a login and stays with this client.
              lent.shareable = false;
              // A client greeted from an earlier connection cannot answer a challenge it never saw.
              if (greeted) return void socket.close(1011, "the database asked for a password");
            } else lent.greeting.push(message.bytes);
          } else if (lent.greeting.length > 0 && message.type !== "E") lent.greeting.push(message.bytes);
          if (message.type === "E") {
            lent.shareable = false;
            // "too many clients", "database does not exist": the client hears why, greeted or not.
            if (lent.swallowing) {
              send([message.bytes]);
              return void socket.close();
            }
          }
          if (message.type === "Z") {
            lent.greeted = true;
            lent.status = String.fromCharCode(message.body[0] as number);
            if (lent.shareable) greetings.set(lent.key, Buffer.concat(lent.greeting));
          }
          if (!lent.swallowing) out.push(message.bytes);
          if (message.type === "Z") {
            lent.swallowing = false;
            greeted = true;
          }
          continue;
        }
        if (lent.swallowing) {
          // The reset's answer (DISCARD ALL): only once it succeeded may the client's messages follow.
          if (message.type === "E") resetFailed = true;
          if (message.type !== "Z") continue;
          lent.swallowing = false;
          if (resetFailed) {
            resetFailed = false;
            backend = undefined;
            destroy(lent);
            ask();
            return;
          }
          lent.clean = true;
          forward(lent, queued.splice(0));
          continue;
        }
        if (message.type === "Z") {
          lent.outstanding -= 1;
          lent.status = String.fromCharCode(message.body[0] as number);
        } else if (COPY_RESPONSES.has(message.type)) lent.shareable = false;
        out.push(message.bytes);
      }
      send(out);
      detachIfIdle();
    };

    const attach = (lent: Backend, fresh: boolean) => {
      asking = false;
      backend = lent;
      lent.outstanding = 0;
      lent.unsynced = 0;
      lent.receive = fromServer;
      lent.lost = () => socket.close();
      if (fresh) {
        // Its greeting is this client's, unless the client was already greeted from the pool's.
        lent.swallowing = greeted;
      } else {
        if (!greeted) {
          send(lent.greeting);
          greeted = true;
        }
        if (!lent.clean && lent.lastClient !== self) {
          // It served another client: reset first; the queued messages go once the reset is answered.
          lent.lastClient = self;
          lent.swallowing = true;
          lent.socket.write(DISCARD);
          return;
        }
      }
      lent.lastClient = self;
      forward(lent, queued.splice(0));
      detachIfIdle();
    };

    const ask = () => {
      if (asking || !request) return;
      asking = true;
      if (!tryServe(request)) waiting.push(request);
    };

    const fromClientMessages = (messages: Message[]) => {
      if (messages.length === 0) return;
      if (backend && !backend.swallowing) return forward(backend, messages);
      // A client holding nothing that says goodbye needs no connection for it.
      if (!backend && queued.length === 0 && messages[0]?.type === "X") return void socket.close();
      queued.push(...messages);
      if (!backend) ask();
    };

    socket.on("message", (data: Buffer) => {
      count(data);
      if (startup === undefined) {
        const messages = fromClient.push(data);
        if (messages === undefined) return void socket.close(1002, "malformed message");
        return fromClientMessages(messages);
      }
      startup = Buffer.concat([startup, data]);
      for (;;) {
        const packet = startupPacket(startup);
        if (packet === "malformed") return void socket.close(1002, "malformed startup packet");
        if (!packet) return;
        startup = packet.rest;
        if (packet.code === SSL_REQUEST || packet.code === GSSENC_REQUEST) {
          socket.send(Buffer.from("N")); // no TLS between the relay and a local database
          continue;
        }
        if (packet.code === CANCEL_REQUEST) {
          // Shared connections greet with one connection's key, so a cancel could reach another client's
          // query: with reuse it is dropped (PgBouncer maps keys; this relay does not).
          if (reuse) return void socket.close();
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
        const key = packet.packet.toString("latin1");
        request = { key, startup: Buffer.from(packet.packet), closed: () => closed, serve: attach };
        const greeting = reuse ? greetings.get(key) : undefined;
        if (greeting) {
          socket.send(greeting);
          greeted = true;
        } else ask();
        const messages = fromClient.push(rest);
        if (messages === undefined) return void socket.close(1002, "malformed message");
        fromClientMessages(messages);
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
