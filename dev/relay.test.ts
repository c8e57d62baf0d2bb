/**
 * The relay against the machine's real Postgres (127.0.0.1:5432, trust auth),
 * driven by the Neon serverless driver exactly as the Worker drives it. One
 * case uses a tiny fake Postgres that asks for a password, since the real one
 * never does.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, describe, it } from "node:test";
import { Client, neonConfig } from "@neondatabase/serverless";
import { WebSocket } from "ws";
import { type Relay, startRelay } from "./relay.ts";

const POSTGRES = { host: "127.0.0.1", port: 5432 };
const url = (database = "postgres") => `postgres://postgres@127.0.0.1:5432/${database}`;

neonConfig.webSocketConstructor = WebSocket;
neonConfig.useSecureWebSocket = false;
neonConfig.pipelineTLS = false;
neonConfig.pipelineConnect = false;

const relays: Relay[] = [];
const clients: Client[] = [];
const servers: net.Server[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

async function relay(options: { maxConnections?: number; reuseConnections?: boolean; target?: typeof POSTGRES }) {
  const started = await startRelay({ port: 0, target: options.target ?? POSTGRES, ...options });
  relays.push(started);
  return started;
}

/** A Neon driver client that reaches its database through `via`; not yet connected. */
function client(via: Relay, connectionString = url()) {
  const made = new Client(connectionString);
  made.neonConfig.wsProxy = (host, port) => `127.0.0.1:${via.port}/v2?address=${host}:${port}`;
  made.on("error", () => undefined); // a lost connection is what some cases are about
  clients.push(made);
  return made;
}

async function connected(via: Relay, connectionString = url()) {
  const made = client(via, connectionString);
  await made.connect();
  return made;
}

async function pid(of: Client): Promise<number> {
  return (await of.query("select pg_backend_pid() as pid")).rows[0].pid;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, what: string) {
  for (let i = 0; i < 300; i += 1) {
    if (await check()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting until ${what}`);
}

/** A client that has left has its connection reset and parked: wait for that before the next one arrives. */
const parked = (via: Relay, idle = 1) => until(() => via.connections().idle === idle, `${idle} connection(s) idle`);

after(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  await Promise.all(clients.map((c) => Promise.race([c.end().catch(() => undefined), sleep(500)])));
  await Promise.all(relays.map((r) => r.close()));
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Postgres backend message: type byte, length, body. */
function message(type: string, ...parts: (Buffer | number)[]): Buffer {
  const body = Buffer.concat(
    parts.map((part) => {
      if (Buffer.isBuffer(part)) return part;
      const int = Buffer.alloc(4);
      int.writeInt32BE(part);
      return int;
    }),
  );
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/**
 * A fake Postgres that demands a cleartext password from every connection,
 * then answers every simple query with an empty CommandComplete.
 */
async function passwordServer() {
  let connections = 0;
  const passwords: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let pending = Buffer.alloc(0);
    let started = false;
    socket.on("data", (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      for (;;) {
        if (!started) {
          if (pending.length < 4 || pending.length < pending.readInt32BE(0)) return;
          pending = pending.subarray(pending.readInt32BE(0));
          started = true;
          socket.write(message("R", 3)); // AuthenticationCleartextPassword
          continue;
        }
        if (pending.length < 5 || pending.length < 1 + pending.readInt32BE(1)) return;
        const type = String.fromCharCode(pending[0] as number);
        const body = pending.subarray(5, 1 + pending.readInt32BE(1));
        pending = pending.subarray(1 + body.length + 4);
        if (type === "p") {
          passwords.push(body.toString("utf8", 0, body.length - 1));
          socket.write(
            Buffer.concat([message("R", 0), message("K", 1000 + connections, 42), message("Z", Buffer.from("I"))]),
          );
        } else if (type === "Q") {
          socket.write(Buffer.concat([message("C", Buffer.from("SELECT 0\0")), message("Z", Buffer.from("I"))]));
        } else if (type === "X") socket.end();
      }
    });
  });
  servers.push(server);
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
  );
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
  });
  return { port, connections: () => connections, passwords };
}

/** One behaviour per case; a hang fails in seconds instead of stalling the run. */
const timely = (name: string, fn: () => Promise<void>) => it(name, { timeout: 5000 }, fn);

describe("the Postgres relay", () => {
  timely(
    "without reuse, a connection beyond the limit waits until one closes and then runs the query it was sent while waiting",
    async () => {
      const via = await relay({ maxConnections: 2 });
      const first = await connected(via);
      await connected(via);
      const third = client(via);
      let answered = false;
      const connecting = third.connect();
      const answer = third.query("select 'waited' as said").then((result) => {
        answered = true;
        return result;
      });
      await sleep(150);
      assert.equal(answered, false);
      assert.deepEqual(via.connections(), { opened: 2, open: 2, idle: 0 });

      await first.end();

      await connecting;
      assert.equal((await answer).rows[0].said, "waited");
      assert.deepEqual(via.connections(), { opened: 3, open: 2, idle: 0 });
    },
  );

  timely("with reuse, clients one after another are served by one database connection", async () => {
    const via = await relay({ reuseConnections: true });
    const pids: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const each = await connected(via);
      pids.push(await pid(each));
      await each.end();
      await parked(via);
    }
    assert.equal(new Set(pids).size, 1);
    assert.deepEqual(via.connections(), { opened: 1, open: 1, idle: 1 });
  });

  timely(
    "a reused connection does not carry the previous client's session settings, prepared statements or temp tables",
    async () => {
      const via = await relay({ reuseConnections: true });
      const first = await connected(via);
      const name = (await first.query("show application_name")).rows[0].application_name;
      await first.query("set application_name = 'first'");
      await first.query("set statement_timeout = '1234ms'");
      await first.query("prepare p as select 1");
      await first.query("create temp table scratch (x int)");
      const firstPid = await pid(first);
      await first.end();
      await parked(via);

      const next = await connected(via);
      assert.equal(await pid(next), firstPid, "the same database connection");
      assert.equal((await next.query("show application_name")).rows[0].application_name, name);
      assert.equal((await next.query("show statement_timeout")).rows[0].statement_timeout, "0");
      await assert.rejects(next.query("execute p"), /prepared statement "p" does not exist/);
      await assert.rejects(next.query("select * from scratch"), /relation "scratch" does not exist/);
      assert.equal(via.connections().opened, 1);
    },
  );

  timely(
    "a client that leaves with a transaction open has its writes rolled back, and the connection is still reused",
    async () => {
      const via = await relay({ reuseConnections: true });
      const table = `relay_rollback_${process.pid}_${Date.now()}`;
      const first = await connected(via);
      await first.query(`create table ${table} (id int)`);
      cleanups.push(async () => {
        const sweeper = await connected(via);
        await sweeper.query(`drop table if exists ${table}`);
      });
      await first.query("begin");
      await first.query(`insert into ${table} values (1)`);
      const firstPid = await pid(first);
      await first.end();
      await parked(via);

      const next = await connected(via);
      assert.equal(await pid(next), firstPid, "the same database connection");
      assert.equal((await next.query(`select count(*)::int as n from ${table}`)).rows[0].n, 0);
      assert.equal((await next.query("select now() = statement_timestamp() as fresh")).rows[0].fresh, true);
      await next.query(`drop table ${table}`);
      assert.equal(via.connections().opened, 1);
    },
  );

  timely(
    "a client that disconnects while its query is still running is not reused, and its database connection is closed",
    async () => {
      const via = await relay({ reuseConnections: true });
      const first = await connected(via);
      const firstPid = await pid(first);
      // Postgres notices a vanished client mid-query only if asked to look.
      await first.query("set client_connection_check_interval = '50ms'");
      const sleeping = first.query("select pg_sleep(5)").then(
        () => "finished",
        () => "failed",
      );
      await sleep(100);
      first.connection.stream.destroy();
      assert.equal(await sleeping, "failed");
      await until(() => via.connections().open === 0, "the relay closes the abandoned connection");

      const next = await connected(via);
      assert.notEqual(await pid(next), firstPid);
      assert.equal(via.connections().opened, 2);
      await until(
        async () =>
          (await next.query("select count(*)::int as n from pg_stat_activity where pid = $1", [firstPid])).rows[0].n ===
          0,
        "the abandoned backend exits",
      );
    },
  );

  timely("a connection whose server asked for a password is never lent to another client", async () => {
    const fake = await passwordServer();
    const via = await relay({ reuseConnections: true, target: { host: "127.0.0.1", port: fake.port } });
    for (let i = 0; i < 2; i += 1) {
      const each = await connected(via, `postgres://postgres:secret@127.0.0.1:${fake.port}/postgres`);
      await each.query("select 1");
      await each.end();
      await until(() => via.connections().open === 0, "the relay closes the password connection");
    }
    assert.equal(fake.connections(), 2);
    assert.deepEqual(fake.passwords, ["secret", "secret"]);
    assert.deepEqual(via.connections(), { opened: 2, open: 0, idle: 0 });
  });

  timely("at the limit, an idle connection for another database is closed to make room", async () => {
    const via = await relay({ reuseConnections: true, maxConnections: 1 });
    const first = await connected(via, url("postgres"));
    await first.query("select 1");
    await first.end();
    await parked(via);

    const other = await connected(via, url("test"));
    assert.equal((await other.query("select current_database() as db")).rows[0].db, "test");
    // Between its statements the client holds no connection: the one for "test" waits idle.
    assert.deepEqual(via.connections(), { opened: 2, open: 1, idle: 1 });
  });

  timely(
    "with reuse, more clients than connections all run their transactions while every client stays connected",
    async () => {
      const via = await relay({ reuseConnections: true, maxConnections: 2 });
      const table = `relay_shared_${process.pid}_${Date.now()}`;
      const setup = await connected(via);
      await setup.query(`create table ${table} (client int, step int)`);
      cleanups.push(async () => {
        const sweeper = await connected(via);
        await sweeper.query(`drop table if exists ${table}`);
      });
      const many = await Promise.all(Array.from({ length: 10 }, () => connected(via)));
      await Promise.all(
        many.map(async (each, n) => {
          for (let step = 0; step < 3; step += 1) {
            await each.query("begin");
            await each.query(`insert into ${table} values ($1, $2)`, [n, step]);
            await each.query("commit");
          }
        }),
      );
      assert.equal((await setup.query(`select count(*)::int as n from ${table}`)).rows[0].n, 30);
      assert.ok(via.connections().opened <= 2, `opened ${via.connections().opened}`);
    },
  );

  timely("a client's transaction keeps its connection until it commits", async () => {
    const via = await relay({ reuseConnections: true, maxConnections: 1 });
    const first = await connected(via);
    const second = await connected(via);
    await first.query("begin");
    const firstPid = await pid(first);
    let answered = false;
    const answer = pid(second).then((secondPid) => {
      answered = true;
      return secondPid;
    });
    await sleep(150);
    assert.equal(answered, false, "the second client waits while the first is inside its transaction");
    await first.query("commit");
    assert.equal(await answer, firstPid, "then it gets the same connection");
  });

  it("thousands of clients waiting at once for their greeting are all greeted by one connection", {
    timeout: 20_000,
  }, async () => {
    const via = await relay({ reuseConnections: true, maxConnections: 1 });
    const startup = (() => {
      const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from("user\0postgres\0database\0postgres\0\0")]);
      const length = Buffer.alloc(4);
      length.writeInt32BE(body.length + 4);
      return Buffer.concat([length, body]);
    })();
    const greeted = await Promise.all(
      Array.from({ length: 3000 }, async () => {
        const socket = new WebSocket(`ws://127.0.0.1:${via.port}/v2`);
        socket.binaryType = "nodebuffer";
        await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
        const ready = new Promise<boolean>((resolve) => {
          let seen = Buffer.alloc(0);
          socket.on("message", (data: Buffer) => {
            seen = Buffer.concat([seen, data]);
            // ReadyForQuery ends the greeting: "Z", length 5, status.
            if (seen.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) resolve(true);
          });
          socket.once("close", () => resolve(false));
        });
        socket.send(startup);
        const outcome = await ready;
        socket.close();
        return outcome;
      }),
    );
    assert.equal(greeted.filter(Boolean).length, 3000);
    assert.equal(via.connections().opened, 1);
  });

  timely("a client that holds no connection says goodbye without the relay opening one", async () => {
    const via = await relay({ reuseConnections: true, maxConnections: 1 });
    const first = await connected(via, url("postgres"));
    await first.query("select 1");
    const other = await connected(via, url("test"));
    await other.query("select 1");
    assert.equal(via.connections().opened, 2);
    await first.end();
    await sleep(100);
    assert.deepEqual(via.connections(), { opened: 2, open: 1, idle: 1 });
  });

  for (const [what, bytes] of [
    ["a startup packet", "0000000004d2162f"],
    ["a message after startup", "51ffffffff"],
  ] as const) {
    timely(`a client sending ${what} with an impossible length is disconnected`, async () => {
      const via = await relay({ reuseConnections: true });
      const socket = new WebSocket(`ws://127.0.0.1:${via.port}/v2`);
      await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
      const closed = new Promise<number>((resolve) => socket.once("close", resolve));
      if (what === "a message after startup") {
        const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from("user\0postgres\0database\0postgres\0\0")]);
        const length = Buffer.alloc(4);
        length.writeInt32BE(body.length + 4);
        socket.send(Buffer.concat([length, body]));
        await sleep(100);
      }
      socket.send(Buffer.from(bytes, "hex"));
      assert.equal(await closed, 1002);
    });
  }

  timely("a connection that served another client is reset before the next client's first statement", async () => {
    const via = await relay({ reuseConnections: true, maxConnections: 1 });
    const first = await connected(via);
    await first.query("set application_name = 'first'");
    assert.equal((await first.query("show application_name")).rows[0].application_name, "first");
    const second = await connected(via);
    assert.equal(await pid(second), await pid(first), "one connection between them");
    assert.notEqual((await second.query("show application_name")).rows[0].application_name, "first");
  });
});
