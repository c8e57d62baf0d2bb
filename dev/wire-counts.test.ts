import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PGlite } from "@electric-sql/pglite";
import { Client, neonConfig } from "@neondatabase/serverless";
import { WebSocket } from "ws";
import { servePglite } from "./postgres/pglite-server.ts";
import { type Relay, startRelay } from "./relay.ts";

describe("the relay counts what the Neon driver asks of Postgres", () => {
  let db: PGlite;
  let server: Awaited<ReturnType<typeof servePglite>>;
  let relay: Relay;
  let client: Client;

  before(async () => {
    db = await PGlite.create();
    await db.exec("create table notes (id serial primary key, body text)");
    server = await servePglite(db, 0);
    relay = await startRelay({ port: 0, target: { host: "127.0.0.1", port: server.port } });
    neonConfig.webSocketConstructor = WebSocket;
    neonConfig.wsProxy = (host, port) => `127.0.0.1:${relay.port}/v2?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
    client = new Client(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    await client.connect();
  });

  after(async () => {
    await client.end().catch(() => undefined);
    await relay.close();
    await server.close();
    await db.close();
  });

  it("a transaction of two statements sent with begin is three round trips, one transaction, one write", async () => {
    const before = relay.counts();
    await client.query("begin; select set_config('app.x', '1', true)");
    await client.query("insert into notes (body) values ($1)", ["hello"]);
    await client.query("commit");
    const after = relay.counts();
    assert.equal(after.roundTrips - before.roundTrips, 3);
    assert.equal(after.statements - before.statements, 4);
    assert.equal(after.writes - before.writes, 1);
    assert.equal(after.transactions - before.transactions, 1);
    assert.equal(after.writeTransactions - before.writeTransactions, 1);
  });

  it("each insert, update or delete inside one WITH statement counts as a write", async () => {
    const before = relay.counts();
    await client.query(
      `with changed as (update notes set body = $1 where id = $2 returning id),
       added as (insert into notes (body) select 'copy' from changed returning id)
       insert into notes (body) select 'another' from added`,
      ["changed", 1],
    );
    const after = relay.counts();
    assert.equal(after.statements - before.statements, 1);
    assert.equal(after.writes - before.writes, 3);
    assert.equal(after.writeTransactions - before.writeTransactions, 1);
  });

  it("a read outside a block is a transaction of its own that writes nothing", async () => {
    const before = relay.counts();
    await client.query("select body from notes where id = $1", [1]);
    const after = relay.counts();
    assert.equal(after.roundTrips - before.roundTrips, 1);
    assert.equal(after.transactions - before.transactions, 1);
    assert.equal(after.writeTransactions - before.writeTransactions, 0);
  });
});
