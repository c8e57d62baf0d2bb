import type http from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * Listens on 127.0.0.1 (port 0: any free one) and returns the address and a
 * close() that ends at once: simulators that can be told to hang keep
 * requests open on purpose, and close() destroys their sockets rather than
 * wait for them.
 */
export async function serve(
  server: http.Server,
  port: number,
): Promise<{ port: number; baseUrl: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    baseUrl: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
