import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { TenantDurableObject } from "../durable-objects/tenant";
import { request } from "./helpers";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await signUpTenant("idempotency");
});

const create = (key: string, name: string) =>
  request(
    "/api/v1/entities",
    jsonRequest(
      "POST",
      { projectId: tenant.projectId, type: "lead", name },
      { ...tenant.auth, "idempotency-key": key },
    ),
  );

async function countNamed(name: string): Promise<number> {
  const page = await (await request("/api/v1/entities?type=lead&limit=200", { headers: tenant.auth })).json<{
    items: { name: string }[];
  }>();
  return page.items.filter((e) => e.name === name).length;
}

describe("Idempotency-Key", () => {
  it("50 concurrent requests with one key create exactly one entity and answer identically", async () => {
    const key = crypto.randomUUID();
    const responses = await Promise.all(Array.from({ length: 50 }, () => create(key, "Storm lead")));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    const bodies = new Set(await Promise.all(responses.map((r) => r.text())));
    expect(bodies.size).toBe(1);
    expect(responses.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(49);
    expect(await countNamed("Storm lead")).toBe(1);
    const replay = await create(key, "Storm lead");
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.text()).toBe([...bodies][0]);
  });

  it("a sequential retry replays status, ETag and body without a second effect", async () => {
    const key = crypto.randomUUID();
    const first = await create(key, "Retry lead");
    const second = await create(key, "Retry lead");
    expect(second.status).toBe(first.status);
    expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(await second.text()).toBe(await first.text());
    expect(await countNamed("Retry lead")).toBe(1);
  });

  it("the same key with a different body is a 422 naming Idempotency-Key", async () => {
    const key = crypto.randomUUID();
    await create(key, "Body one");
    const response = await create(key, "Body two");
    expect(response.status).toBe(422);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("Idempotency-Key");
    expect(await countNamed("Body two")).toBe(0);
  });

  it("a request that fails validation stores nothing, so the key can be used for the corrected request", async () => {
    const key = crypto.randomUUID();
    const invalid = await request(
      "/api/v1/entities",
      jsonRequest(
        "POST",
        { projectId: tenant.projectId, type: "lead", name: "" },
        { ...tenant.auth, "idempotency-key": key },
      ),
    );
    expect(invalid.status).toBe(422);
    const valid = await create(key, "Corrected lead");
    expect(valid.status).toBe(201);
    expect(valid.headers.get("idempotent-replayed")).toBeNull();
  });

  it("keys are scoped to the tenant: another tenant's identical key is a different request", async () => {
    const other = await signUpTenant("idempotency-other");
    const key = crypto.randomUUID();
    await create(key, "Tenant scoped");
    const response = await request(
      "/api/v1/entities",
      jsonRequest(
        "POST",
        { projectId: other.projectId, type: "lead", name: "Tenant scoped" },
        { ...other.auth, "idempotency-key": key },
      ),
    );
    expect(response.status).toBe(201);
    expect(response.headers.get("idempotent-replayed")).toBeNull();
  });
});

describe("the ledger in the tenant object", () => {
  it("a waiting caller gets the first caller's response once it completes", async () => {
    const stub = env.TENANT.getByName(crypto.randomUUID());
    expect(await stub.beginAction("w", "f")).toEqual({ outcome: "proceed" });
    const waiting = stub.beginAction("w", "f", undefined, 5_000);
    await stub.completeAction("w", "f", { status: 201, headers: {}, body: "done" });
    expect(await waiting).toEqual({ outcome: "replay", response: { status: 201, headers: {}, body: "done" } });
  });

  it("answers in-flight while a key is pending and takes over a pending key abandoned past its timeout", async () => {
    const stub = env.TENANT.getByName(crypto.randomUUID());
    expect(await stub.beginAction("k", "f")).toEqual({ outcome: "proceed" });
    expect(await stub.beginAction("k", "f")).toEqual({ outcome: "in-flight" });
    await runInDurableObject(stub, async (_o: TenantDurableObject, state) => {
      state.storage.sql.exec("UPDATE idempotency_keys SET pending_until = 0 WHERE key = 'k'");
    });
    expect(await stub.beginAction("k", "f")).toEqual({ outcome: "proceed" });
  });

  it("prunes expired keys when its alarm runs", async () => {
    const stub = env.TENANT.getByName(crypto.randomUUID());
    await stub.beginAction("old", "f", 1);
    await stub.completeAction("old", "f", { status: 201, headers: {}, body: "{}" });
    await stub.beginAction("fresh", "f");
    await stub.completeAction("fresh", "f", { status: 201, headers: {}, body: "{}" });
    await new Promise((r) => setTimeout(r, 5));
    await runDurableObjectAlarm(stub);
    const keys = await runInDurableObject(stub, async (_o: TenantDurableObject, state) =>
      state.storage.sql
        .exec<{ key: string }>("SELECT key FROM idempotency_keys")
        .toArray()
        .map((r) => r.key),
    );
    expect(keys).toEqual(["fresh"]);
  });
});
