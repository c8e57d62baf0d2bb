/**
 * The local stand-in for Neon's WebSocket proxy: the Neon serverless driver
 * opens a WebSocket, and every binary frame is raw Postgres wire protocol.
 * We pipe those bytes to ONE configured database. The `address` the driver
 * names in the URL is deliberately ignored: a relay that dialled addresses
 * taken from requests would be an open proxy.
 *
 * Like Neon's pooler, it holds at most `maxConnections` database connections
 * (default 60, under the machine's Postgres limit of 100 with room for tools
 * and migrations) and queues the rest: a burst of Worker invocations waits
 * for a connection instead of being refused with "too many clients".
 */
import net from "node:net";
import { WebSocketServer } from "ws";
import { emptyWireCounts, type WireCounts, wireCounter } from "./wire-counts.ts";

export interface Relay {
  port: number;
  /** What every client has asked of the database so far (dev/wire-counts.ts). */
  counts(): WireCounts;
  close(): Promise<void>;
}

export async function startRelay(options: {
  port: number;
  target: { host: string; port: number };
  maxConnections?: number;
}): Promise<Relay> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: options.port });
  const limit = options.maxConnections ?? 60;
  let open = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    open -= 1;
    waiting.shift()?.();
  };
  const counts = emptyWireCounts();
  server.on("connection", (socket) => {
    const count = wireCounter(counts);
    const pending: Buffer[] = [];
    let upstream: net.Socket | undefined;
    let connected = false;
    let closed = false;
    socket.on("message", (data: Buffer) => {
      count(data);
      return connected ? upstream?.write(data) : pending.push(data);
    });
    socket.on("close", () => {
      closed = true;
      upstream?.destroy();
    });
    socket.on("error", () => upstream?.destroy());
    const dial = () => {
      if (closed) return void waiting.shift()?.();
      open += 1;
      const link = net.connect(options.target.port, options.target.host);
      upstream = link;
      link.setNoDelay(true);
      link.on("connect", () => {
        connected = true;
        for (const chunk of pending.splice(0)) link.write(chunk);
      });
      link.on("data", (data) => socket.send(data));
      link.once("close", () => {
        release();
        socket.close();
      });
      link.on("error", () => socket.close(1011, "database unreachable"));
    };
    if (open < limit) dial();
    else waiting.push(dial);
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
