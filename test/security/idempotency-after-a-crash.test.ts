import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TenantDurableObject } from "../../durable-objects/tenant";
import { request } from "../helpers";
import { jsonRequest, signUpTenant, type TestTenant } from "../tenants";

/**
 * Issue #11, item 14. The ledger in the tenant object hears of a response
 * only after the effect committed in Postgres. When the Worker dies in
 * between, the key stays pending; after the pending timeout a retry with the
 * same key is let through — and must replay the committed effect, not make it
 * again (decision 013).
 *
 * The death is simulated exactly: the request runs to its commit, then the
 * ledger entry is put back to what a dead Worker leaves behind — pending,
 * no response — with its pending time already past.
 */
async function killedBeforeTheLedgerHeard(tenant: TestTenant, key: string): Promise<void> {
  const stub = env.TENANT.getByName(tenant.tenantId);
  await runInDurableObject(stub, async (_instance: TenantDurableObject, state) => {
    const cursor = state.storage.sql.exec(
      "UPDATE idempotency_keys SET state = 'pending', response = NULL, pending_until = 0 WHERE key = ?",
      `http:${key}`,
    );
    expect(cursor.rowsWritten).toBe(1);
  });
}

async function entitiesNamed(tenant: TestTenant, name: string): Promise<number> {
  const page = await (await request("/api/v1/entities?type=lead&limit=200", { headers: tenant.auth })).json<{
    items: { name: string }[];
  }>();
  return page.items.filter((e) => e.name === name).length;
}

describe("Idempotency-Key after a Worker died mid-request (item 14)", () => {
  it("refuses: a same-key retry after the pending timeout creating the entity a second time — it replays the first", async () => {
    const tenant = await signUpTenant("crash-create");
    const key = crypto.randomUUID();
    const create = () =>
      request(
        "/api/v1/entities",
        jsonRequest(
          "POST",
          { projectId: tenant.projectId, type: "lead", name: "Committed once" },
          { ...tenant.auth, "idempotency-key": key },
        ),
      );
    const first = await create();
    expect(first.status).toBe(201);
    const firstBody = await first.json<{ id: string }>();
    await killedBeforeTheLedgerHeard(tenant, key);

    const retry = await create();
    expect(retry.status).toBe(201);
    expect(await retry.json()).toEqual(firstBody);
    expect(retry.headers.get("location")).toBe(first.headers.get("location"));
    expect(retry.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(await entitiesNamed(tenant, "Committed once")).toBe(1);
    // The ledger learned the answer: the next copy is a plain replay.
    const again = await create();
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("refuses: a same-key PATCH retry after the pending timeout applying again or failing on its own If-Match — it replays", async () => {
    const tenant = await signUpTenant("crash-patch");
    const created = await (
      await request(
        "/api/v1/entities",
        jsonRequest("POST", { projectId: tenant.projectId, type: "lead", name: "Before" }, tenant.auth),
      )
    ).json<{ id: string }>();
    const key = crypto.randomUUID();
    const rename = () =>
      request(
        `/api/v1/entities/${created.id}`,
        jsonRequest("PATCH", { name: "After" }, { ...tenant.auth, "if-match": '"1"', "idempotency-key": key }),
      );
    const first = await rename();
    expect(first.status).toBe(200);
    await killedBeforeTheLedgerHeard(tenant, key);

    const retry = await rename();
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ id: created.id, name: "After", version: 2 });
    const snapshots = await (await request(`/api/v1/entities/${created.id}/snapshots`, { headers: tenant.auth })).json<{
      items: unknown[];
    }>();
    expect(snapshots.items).toHaveLength(1);
  });

  it("refuses: the dead request's key reused after the timeout for a different body — 422, nothing created", async () => {
    const tenant = await signUpTenant("crash-mismatch");
    const key = crypto.randomUUID();
    const create = (name: string) =>
      request(
        "/api/v1/entities",
        jsonRequest(
          "POST",
          { projectId: tenant.projectId, type: "lead", name },
          { ...tenant.auth, "idempotency-key": key },
        ),
      );
    expect((await create("First body")).status).toBe(201);
    await killedBeforeTheLedgerHeard(tenant, key);
    const other = await create("Second body");
    expect(other.status).toBe(422);
    expect(((await other.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe("Idempotency-Key");
    expect(await entitiesNamed(tenant, "Second body")).toBe(0);
  });
});
