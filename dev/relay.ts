/**
 * The local stand-in for Neon's WebSocket proxy: the Neon serverless driver
 * opens a WebSocket, and every binary frame is raw Postgres wire protocol.
 * We pipe those bytes to ONE configured database. The `address` the driver
 * names in the URL is deliberately ignored: a relay that dialled addresses
 * taken from requests would be an open proxy.
 */
import net from "node:net";
import { WebSocketServer } from "ws";

export interface Relay {
  port: number;
  close(): Promise<void>;
}

export async function startRelay(options: { port: number; target: { host: string; port: number } }): Promise<Relay> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: options.port });
  server.on("connection", (socket) => {
    const upstream = net.connect(options.target.port, options.target.host);
    upstream.setNoDelay(true);
    const pending: Buffer[] = [];
    let connected = false;
    upstream.on("connect", () => {
      connected = true;
      for (const chunk of pending.splice(0)) upstream.write(chunk);
    });
    upstream.on("data", (data) => socket.send(data));
    upstream.on("close", () => socket.close());
    upstream.on("error", () => socket.close(1011, "database unreachable"));
    socket.on("message", (data: Buffer) => (connected ? upstream.write(data) : pending.push(data)));
    socket.on("close", () => upstream.destroy());
    socket.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", reject);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
