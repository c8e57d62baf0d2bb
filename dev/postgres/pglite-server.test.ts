import assert from "node:assert/strict";
import type net from "node:net";
import { after, before, describe, it } from "node:test";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { servePglite } from "./pglite-server.ts";
import { type ProvisionedDatabase, startEmbedded } from "./provision.ts";

let database: ProvisionedDatabase;

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return client;
}

before(async () => {
  database = await startEmbedded({ port: 0 });
  const client = await connect();
  await client.query("create table items (id int primary key, owner int not null)");
  await client.end();
});

after(async () => {
  await database.close();
});

describe("the embedded PGlite server", () => {
  it("gives 20 concurrent clients their own answers to parameterised queries", async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, connect));
    let wrong = 0;
    await Promise.all(
      clients.map(async (client, i) => {
        for (let j = 0; j < 30; j++) {
          const { rows } = await client.query("select $1::int * 2 as doubled", [i * 100 + j]);
          if (rows[0].doubled !== (i * 100 + j) * 2) wrong++;
        }
      }),
    );
    await Promise.all(clients.map((c) => c.end()));
    assert.equal(wrong, 0);
  });

  it("keeps a transaction's settings inside that transaction while others run", async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, connect));
    let leaked = 0;
    await Promise.all(
      clients.map(async (client, i) => {
        for (let j = 0; j < 10; j++) {
          await client.query("begin");
          await client.query("select set_config('app.tenant_id', $1, true)", [String(i)]);
          const { rows } = await client.query("select current_setting('app.tenant_id', true) as tenant");
          if (rows[0].tenant !== String(i)) leaked++;
          await client.query("commit");
        }
      }),
    );
    await Promise.all(clients.map((c) => c.end()));
    assert.equal(leaked, 0);
  });

  it("rolls back a client that disconnects in the middle of a transaction", async () => {
    const dropped = await connect();
    dropped.on("error", () => undefined); // the abrupt end is the point of this test
    await dropped.query("begin");
    await dropped.query("insert into items (id, owner) values (1, 1)");
    // Destroy the socket: no COMMIT, no ROLLBACK, no Terminate.
    (dropped as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const other = await connect();
    const { rows } = await other.query("select count(*)::int as n from items");
    assert.equal(rows[0].n, 0);
    await other.end();
  });

  it("makes a second client wait for the first one's transaction instead of interleaving", async () => {
    const first = await connect();
    const second = await connect();
    await first.query("begin");
    await first.query("insert into items (id, owner) values (2, 1)");
    const secondRead = second.query("select count(*)::int as n from items where id = 2");
    await new Promise((r) => setTimeout(r, 50));
    await first.query("commit");
    assert.equal((await secondRead).rows[0].n, 1);
    await first.end();
    await second.end();
  });
});

/** The error `work` fails with; throws if it succeeds. */
async function failure(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the statement to fail");
}

/** `select 1` on a connection, as proof the server still answers. */
const answers = async (client: pg.Client) => (await client.query("select 1 as one")).rows[0].one === 1;

/** The raw socket under a pg client, to write what no driver would, or drop it the way a crashed process does. */
const socketOf = (client: pg.Client) => (client as unknown as { connection: { stream: net.Socket } }).connection.stream;

/** A client that expects its connection to be ended by the server. */
async function doomed(url = database.url): Promise<{ client: pg.Client; socket: net.Socket; ended: Promise<Error> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const ended = new Promise<Error>((resolve) => client.on("error", resolve));
  return { client, socket: socketOf(client), ended };
}

/** A frontend message as bytes: type, length, body. */
function frame(type: string, length: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(length, 1);
  return Buffer.concat([header, body]);
}

describe("the embedded PGlite server after a bad statement", () => {
  it("refuses a NUL byte in a text parameter and answers the same and another connection afterwards", async () => {
    const client = await connect();
    const error = await failure(client.query("select $1::text as value", ["a\u0000b"]));
    assert.match(error.message, /0x00/);
    assert.ok(await answers(client));
    const other = await connect();
    assert.ok(await answers(other));
    await Promise.all([client.end(), other.end()]);
  });

  it("refuses a NUL byte inside a statement's text and answers the same connection afterwards", async () => {
    const client = await connect();
    // The NUL ends the statement's C string early: Postgres finds bytes after it and refuses the message.
    await failure(client.query("select 1 -- \u0000 and the rest"));
    assert.ok(await answers(client));
    await client.end();
  });

  it("reports a syntax error and answers the next statement on the same connection", async () => {
    const client = await connect();
    const error = await failure(client.query("selec 1"));
    assert.match(error.message, /syntax error/);
    assert.ok(await answers(client));
    await client.end();
  });

  it("runs a 40 MB statement and answers another connection afterwards", async () => {
    const client = await connect();
    const huge = "x".repeat(40 * 1024 * 1024);
    const { rows } = await client.query(`select length('${huge}') as n`);
    assert.equal(rows[0].n, huge.length);
    const other = await connect();
    assert.ok(await answers(other));
    await Promise.all([client.end(), other.end()]);
  });

  it("ends only the connection whose message announces an impossible length", async () => {
    for (const length of [2, 1024 * 1024 * 1024]) {
      const liar = await doomed();
      liar.socket.write(frame("Q", length, Buffer.from("select 1\0")));
      assert.match((await liar.ended).message, /terminated|invalid message length/);
      const other = await connect();
      assert.ok(await answers(other));
      await other.end();
    }
  });

  it("ends only the connection that sends an unknown message type", async () => {
    const stranger = await doomed();
    // Real Postgres ends such a backend; PGlite would wait for more input forever.
    stranger.socket.write(frame("z", 8, Buffer.from("abcd")));
    await stranger.ended;
    const other = await connect();
    assert.ok(await answers(other));
    await other.end();
  });

  it("refuses COPY FROM STDIN with an error and answers the same connection afterwards", async () => {
    const client = await connect();
    const simple = await failure(client.query("copy items from stdin"));
    assert.match(simple.message, /COPY FROM STDIN is not supported/);
    assert.ok(await answers(client));
    // A named statement goes through Parse/Bind/Execute: the extended protocol.
    const extended = await failure(client.query({ name: "copy-in", text: "copy items from stdin" }));
    assert.match(extended.message, /COPY FROM STDIN is not supported/);
    assert.ok(await answers(client));
    await client.end();
  });

  it("keeps a failed transaction's connection usable after ROLLBACK, and lets a waiting connection in", async () => {
    const client = await connect();
    const waiting = await connect();
    await client.query("begin");
    await client.query("insert into items (id, owner) values (91, 1)");
    await failure(client.query("insert into items (id, owner) values (91, 1)")); // duplicate key
    const aborted = await failure(client.query("select 1"));
    assert.match(aborted.message, /current transaction is aborted/);
    const waitingRead = waiting.query("select count(*)::int as n from items where id = 91");
    await client.query("rollback");
    assert.equal((await waitingRead).rows[0].n, 0);
    assert.ok(await answers(client));
    await Promise.all([client.end(), waiting.end()]);
  });

  it("rolls back a client that disconnects inside a failed transaction", async () => {
    const dropped = await doomed();
    await dropped.client.query("begin");
    await dropped.client.query("insert into items (id, owner) values (92, 1)");
    await failure(dropped.client.query("selec 1"));
    dropped.socket.destroy();
    const other = await connect();
    assert.equal((await other.query("select count(*)::int as n from items where id = 92")).rows[0].n, 0);
    await other.end();
  });

  it("answers another connection after a client disconnects in the middle of a query", async () => {
    const dropped = await doomed();
    const running = dropped.client.query("select pg_sleep(0.3)").catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    dropped.socket.destroy();
    await running;
    const other = await connect();
    assert.ok(await answers(other));
    await other.end();
  });

  it("answers another connection after a client disconnects halfway through sending a message", async () => {
    const dropped = await doomed();
    // A Query that announces 1 kB and delivers ten bytes before the socket dies.
    dropped.socket.write(frame("Q", 1024, Buffer.from("select 1; ")));
    dropped.socket.destroy();
    const other = await connect();
    assert.ok(await answers(other));
    await other.end();
  });
});

describe("the embedded PGlite server with a client idle inside a transaction", () => {
  let db: PGlite;
  let server: Awaited<ReturnType<typeof servePglite>>;

  before(async () => {
    db = await PGlite.create("memory://");
    server = await servePglite(db, 0, { idleInTransactionMs: 300 });
  });

  after(async () => {
    await server.close();
    await db.close();
  });

  it("ends the idle holder once others wait for it, rolls it back and serves them", async () => {
    const idle = await doomed(server.url);
    await idle.client.query("begin");
    await idle.client.query("create table idle_work (id int)");
    const other = new pg.Client({ connectionString: server.url });
    await other.connect();
    const started = Date.now();
    const { rows } = await other.query("select count(*)::int as n from pg_tables where tablename = 'idle_work'");
    assert.equal(rows[0].n, 0);
    assert.ok(Date.now() - started < 5_000);
    assert.match((await idle.ended).message, /idle-in-transaction/);
    await other.end();
  });

  it("lets a holder stay in its transaction as long as it likes when nobody waits", async () => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query("begin");
    await new Promise((r) => setTimeout(r, 600));
    assert.ok(await answers(client));
    await client.query("commit");
    await client.end();
  });
});

describe("the embedded PGlite server ordering the wait for its session by lane", () => {
  let db: PGlite;
  let server: Awaited<ReturnType<typeof servePglite>>;

  before(async () => {
    db = await PGlite.create("memory://");
    server = await servePglite(db, 0);
    await db.exec("create table turns (id serial primary key, who text not null)");
  });

  after(async () => {
    await server.close();
    await db.close();
  });

  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function laneClient(applicationName: string): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: server.url, application_name: applicationName });
    await client.connect();
    return client;
  }

  /**
   * While a holder sits in a transaction, `earlier` asks for the session, then `later` asks `gapMs` after it;
   * each inserts a row once it gets the session. Returns who inserted first, by serial id.
   * The pauses let each query reach the server and join the wait before the next is sent (there is no hook).
   */
  async function turns(earlierApp: string, laterApp: string, gapMs: number): Promise<string[]> {
    const [holder, earlier, later] = await Promise.all([
      laneClient("apex:request"),
      laneClient(earlierApp),
      laneClient(laterApp),
    ]);
    await holder.query("delete from turns");
    await holder.query("begin");
    const insert = "insert into turns (who) values ($1)";
    const earlierDone = earlier.query(insert, ["earlier"]);
    await pause(gapMs);
    const laterDone = later.query(insert, ["later"]);
    await pause(100);
    await holder.query("commit");
    await Promise.all([earlierDone, laterDone]);
    const { rows } = await holder.query<{ who: string }>("select who from turns order by id");
    await Promise.all([holder.end(), earlier.end(), later.end()]);
    return rows.map((row) => row.who);
  }

  it("a bulk client waiting for the session lets a request client that came later go first", async () => {
    assert.deepEqual(await turns("apex:bulk", "apex:request", 100), ["later", "earlier"]);
  });

  it("without lanes, clients take the session in the order they asked", async () => {
    assert.deepEqual(await turns("apex:request", "apex:request", 100), ["earlier", "later"]);
  });

  it("a bulk client that has waited two seconds keeps its place", async () => {
    assert.deepEqual(await turns("apex:bulk", "apex:request", 2_100), ["earlier", "later"]);
  });
});
