import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
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
