import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applySqliteMigrations } from "./sqlite-migrations";
import type { TenantDurableObject } from "./tenant";
import { TENANT_MIGRATIONS } from "./tenant-migrations";

/** Puts the object's storage back to what an object that applied only the first `count` migrations holds. */
function rebuildAt(sql: SqlStorage, count: number): void {
  const tables = sql
    .exec<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
    )
    .toArray();
  for (const { name } of tables) sql.exec(`DROP TABLE "${name}"`);
  applySqliteMigrations(sql, TENANT_MIGRATIONS.slice(0, count));
}

describe("upgrading a tenant object's storage", () => {
  it("an object from before webhook-outbox/2 keeps its subscriptions and its unsent webhooks with their data", async () => {
    const stub = env.TENANT.getByName(`upgrade-${crypto.randomUUID()}`);
    await stub.ping();
    await runInDurableObject(stub, async (_instance: TenantDurableObject, state) => {
      const sql = state.storage.sql;
      rebuildAt(
        sql,
        TENANT_MIGRATIONS.findIndex((m) => m.id === "core/2"),
      );
      // The old shape: subscriptions as JSON in `meta`, outbox rows that point into the event log.
      sql.exec("INSERT INTO meta (key, value) VALUES ('webhook_events', '[\"lead.created\",\"ticket.failed\"]')");
      sql.exec(
        "INSERT INTO events (channel, type, data, at) VALUES ('entity:lead', 'entity.created', '{\"n\":1}', 1000)",
      );
      sql.exec("INSERT INTO webhook_outbox (seq, event_type, queued_at) VALUES (1, 'lead.created', 1001)");
      sql.exec("INSERT INTO webhook_outbox (seq, event_type, queued_at) VALUES (99, 'lead.created', 1002)");
      sql.exec("INSERT INTO agent_runs (message_id, task, ran_at) VALUES ('m', 'tenant_heartbeat', 1)");

      applySqliteMigrations(sql, TENANT_MIGRATIONS);

      const subscribed = sql.exec<{ event_type: string }>("SELECT event_type FROM webhook_subscriptions ORDER BY 1");
      expect(subscribed.toArray().map((r) => r.event_type)).toEqual(["lead.created", "ticket.failed"]);
      expect(sql.exec("SELECT 1 FROM meta WHERE key = 'webhook_events'").toArray()).toEqual([]);
      // The row whose event had left the log is dropped, as it was before; the other carries its data now.
      expect(sql.exec("SELECT seq, event_type, data, at FROM webhook_outbox").toArray()).toEqual([
        { seq: 1, event_type: "lead.created", data: '{"n":1}', at: 1000 },
      ]);
      expect(sql.exec("SELECT name FROM sqlite_master WHERE name = 'agent_runs'").toArray()).toEqual([]);
    });
  });
});
