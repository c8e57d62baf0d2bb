import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TenantDurableObject } from "../../durable-objects/tenant";
import { openDatabase } from "../../schema/db";
import { idempotencyEffects } from "../../schema/tables";
import { withTenant } from "../../schema/tenant-transaction";
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

/**
 * Sends a write with a fresh Idempotency-Key, kills the Worker after its
 * commit (as above), and sends the same request again after the timeout.
 */
async function sentAgainAfterACrash(
  tenant: TestTenant,
  path: string,
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const key = crypto.randomUUID();
  const send = () => request(path, jsonRequest(method, body, { ...tenant.auth, ...headers, "idempotency-key": key }));
  const first = await send();
  const firstBody = await first.text();
  expect(first.status, firstBody).toBeLessThan(300);
  await killedBeforeTheLedgerHeard(tenant, key);
  const retry = await send();
  const retryBody = await retry.text();
  return { first, firstBody, retry, retryBody };
}

/** The retry answered exactly as the first attempt did: status, body, ETag and Location. */
function expectReplayed({ first, firstBody, retry, retryBody }: Awaited<ReturnType<typeof sentAgainAfterACrash>>) {
  expect(retry.status, retryBody).toBe(first.status);
  expect(JSON.parse(retryBody)).toEqual(JSON.parse(firstBody));
  expect(retry.headers.get("etag")).toBe(first.headers.get("etag"));
  expect(retry.headers.get("location")).toBe(first.headers.get("location"));
}

async function audited(tenant: TestTenant, action: string): Promise<number> {
  const page = await (await request(`/api/v1/audit?action=${action}&limit=200`, { headers: tenant.auth })).json<{
    items: unknown[];
  }>();
  return page.items.length;
}

async function createLead(tenant: TestTenant, name: string): Promise<string> {
  const created = await request(
    "/api/v1/entities",
    jsonRequest("POST", { projectId: tenant.projectId, type: "lead", name }, tenant.auth),
  );
  return (await created.json<{ id: string }>()).id;
}

describe("every other write with an Idempotency-Key, after a Worker died mid-request (item 14)", () => {
  it("refuses: a retry after a dead Worker creating a second API key — it replays the first key", async () => {
    const tenant = await signUpTenant("crash-api-key");
    const sent = await sentAgainAfterACrash(tenant, "/api/v1/api-keys", "POST", { name: "Crash key", role: "member" });
    expectReplayed(sent);
    const keys = await (await request("/api/v1/api-keys", { headers: tenant.auth })).json<{
      items: { name: string }[];
    }>();
    expect(keys.items.filter((k) => k.name === "Crash key")).toHaveLength(1);
    // The replayed key works, and Postgres kept it sealed, not in the clear.
    const { key } = JSON.parse(sent.retryBody) as { key: string };
    expect((await request("/api/v1/entity-types", { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    const handle = openDatabase(env);
    const recorded = await withTenant(handle.db, tenant.tenantId, (tx) => tx.select().from(idempotencyEffects));
    await handle.close();
    expect(recorded).toHaveLength(1);
    expect(JSON.stringify(recorded[0]?.result)).not.toContain(key);
  });

  it("refuses: a retry after a dead Worker sending a second invitation — it replays the first token", async () => {
    const tenant = await signUpTenant("crash-invite");
    const email = `crash-${crypto.randomUUID()}@example.com`;
    expectReplayed(await sentAgainAfterACrash(tenant, "/api/v1/invitations", "POST", { email, role: "member" }));
    expect(await audited(tenant, "invitation.create")).toBe(1);
  });

  it("refuses: a retry after a dead Worker relating two entities again — it replays the edge, not 409", async () => {
    const tenant = await signUpTenant("crash-relate");
    const [lead, call] = [await createLead(tenant, "From"), await createLead(tenant, "To")];
    const path = `/api/v1/entities/${lead}/relationships`;
    expectReplayed(await sentAgainAfterACrash(tenant, path, "POST", { toId: call, type: "has_call" }));
    const edges = await (await request(path, { headers: tenant.auth })).json<{ items: unknown[] }>();
    expect(edges.items).toHaveLength(1);
  });

  it("refuses: a retry after a dead Worker defining the entity type again — it replays the type, not 409", async () => {
    const tenant = await signUpTenant("crash-type");
    const jsonSchema = { type: "object", properties: { brand: { type: "string" } } };
    expectReplayed(await sentAgainAfterACrash(tenant, "/api/v1/entity-types", "POST", { name: "boiler", jsonSchema }));
    expect(await audited(tenant, "entity_type.create")).toBe(1);
  });

  it("refuses: a retry after a dead Worker registering a second webhook endpoint — it replays the first secret", async () => {
    const tenant = await signUpTenant("crash-webhook");
    const url = `${env.WEBHOOK_RECEIVER_URL}/_receivers/crash-${crypto.randomUUID()}`;
    const sent = await sentAgainAfterACrash(tenant, "/api/v1/webhook-endpoints", "POST", {
      url,
      events: ["lead.created"],
    });
    expectReplayed(sent);
    const endpoints = await (await request("/api/v1/webhook-endpoints", { headers: tenant.auth })).json<{
      items: unknown[];
    }>();
    expect(endpoints.items).toHaveLength(1);
  });

  it("refuses: a retry after a dead Worker disabling a webhook endpoint again on its own stale If-Match — it replays", async () => {
    const tenant = await signUpTenant("crash-webhook-patch");
    const url = `${env.WEBHOOK_RECEIVER_URL}/_receivers/crash-${crypto.randomUUID()}`;
    const created = await request(
      "/api/v1/webhook-endpoints",
      jsonRequest("POST", { url, events: ["lead.created"] }, tenant.auth),
    );
    const { id } = await created.json<{ id: string }>();
    const path = `/api/v1/webhook-endpoints/${id}`;
    expectReplayed(await sentAgainAfterACrash(tenant, path, "PATCH", { enabled: false }, { "if-match": '"1"' }));
    expect(await audited(tenant, "webhook_endpoint.update")).toBe(1);
  });

  it("refuses: a retry after a dead Worker setting the LLM settings again — one change, replayed", async () => {
    const tenant = await signUpTenant("crash-llm");
    expectReplayed(await sentAgainAfterACrash(tenant, "/api/v1/settings/llm", "PUT", { provider: "rules" }));
    expect(await audited(tenant, "settings.llm.set")).toBe(1);
  });

  it("refuses: a retry after a dead Worker setting the spend cap again — one change, replayed", async () => {
    const tenant = await signUpTenant("crash-cap");
    const path = `/api/v1/projects/${tenant.projectId}/spend-cap`;
    expectReplayed(await sentAgainAfterACrash(tenant, path, "PUT", { monthlyCapUsd: 25 }));
    expect(await audited(tenant, "project.spend_cap.set")).toBe(1);
  });

  it("refuses: a retry after a dead Worker failing its DNA PUT on its own If-Match — it replays the saved DNA", async () => {
    const tenant = await signUpTenant("crash-dna");
    const path = `/api/v1/projects/${tenant.projectId}/dna/custom`;
    const body = { brandBrain: { voice: "Calm" } };
    expectReplayed(await sentAgainAfterACrash(tenant, path, "PUT", body, { "if-match": '"0"' }));
    expect(await audited(tenant, "dna.custom.update")).toBe(1);
  });

  it("refuses: a retry after a dead Worker failing its speed-to-lead settings PUT on its own If-Match — it replays", async () => {
    const tenant = await signUpTenant("crash-speed-to-lead");
    const path = `/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`;
    const current = await request(path, { headers: tenant.auth });
    const settings = await current.json<Record<string, unknown>>();
    const etag = current.headers.get("etag") ?? "";
    expectReplayed(await sentAgainAfterACrash(tenant, path, "PUT", settings, { "if-match": etag }));
    expect(await audited(tenant, "dna.custom.update")).toBe(1);
  });
});
