import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { type Relay, startRelay } from "./relay.ts";

/** A stand-in database: answers each connection's bytes with "ok:" and the bytes, and counts who is connected. */
function echoServer() {
  let connected = 0;
  const server = net.createServer((socket) => {
    connected += 1;
    socket.on("data", (data) => socket.write(`ok:${data}`));
    socket.on("close", () => {
      connected -= 1;
    });
  });
  return { server, connected: () => connected };
}

const listening = (server: net.Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
  );

async function client(port: number) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  const replies: string[] = [];
  socket.on("message", (data) => replies.push(String(data)));
  return { socket, replies };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i += 1) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check());
};

describe("the Postgres relay", () => {
  const database = echoServer();
  let relay: Relay;
  before(async () => {
    const target = await listening(database.server);
    relay = await startRelay({ port: 0, target: { host: "127.0.0.1", port: target }, maxConnections: 2 });
  });
  after(async () => {
    await relay.close();
    database.server.close();
  });

  it("holds a connection beyond its limit until one closes, then carries the bytes it was sent while waiting", async () => {
    const first = await client(relay.port);
    const second = await client(relay.port);
    const third = await client(relay.port);
    third.socket.send("hello");
    await until(() => database.connected() === 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(database.connected(), 2);
    assert.deepEqual(third.replies, []);

    first.socket.close();

    await until(() => third.replies.length === 1);
    assert.equal(third.replies[0], "ok:hello");
    assert.equal(database.connected(), 2);
    second.socket.close();
    third.socket.close();
  });
});
