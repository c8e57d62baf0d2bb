import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../workers/index";
import { archiveKey } from "../workers/services/archive";
import { request } from "./helpers";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await signUpTenant("retention");
});

async function runDailyCron() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "17 3 * * *", scheduledTime: Date.now() }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function create(type: string, name: string, data: Record<string, unknown> = {}) {
  const response = await request(
    "/api/v1/entities",
    jsonRequest("POST", { projectId: tenant.projectId, type, name, data }, tenant.auth),
  );
  return response.json<{ id: string; version: number }>();
}

const setPolicy = (type: string, body: unknown) =>
  request(`/api/v1/retention-policies/${type}`, jsonRequest("PUT", body, tenant.auth));

describe("retention policies", () => {
  it("are set per entity type and listed", async () => {
    expect((await setPolicy("campaign", { purgeDeletedAfterDays: 30, archiveAfterDays: null })).status).toBe(200);
    const list = await (await request("/api/v1/retention-policies", { headers: tenant.auth })).json<{
      items: { entityType: string }[];
    }>();
    expect(list.items.map((p) => p.entityType)).toContain("campaign");
  });

  it("bad values are a 422 naming the field", async () => {
    const response = await setPolicy("campaign", { purgeDeletedAfterDays: -1, archiveAfterDays: null });
    expect(response.status).toBe(422);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("purgeDeletedAfterDays");
  });

  it("the daily cron purges soft-deleted entities past the policy and keeps live ones", async () => {
    await setPolicy("keyword", { purgeDeletedAfterDays: 0, archiveAfterDays: null });
    const doomed = await create("keyword", "emergency plumber");
    const kept = await create("keyword", "drain cleaning");
    await request(`/api/v1/entities/${doomed.id}`, {
      method: "DELETE",
      headers: { ...tenant.auth, "if-match": '"1"' },
    });
    await runDailyCron();
    const all = await (await request("/api/v1/entities?type=keyword&deleted=include", { headers: tenant.auth })).json<{
      items: { id: string }[];
    }>();
    const ids = all.items.map((e) => e.id);
    expect(ids).not.toContain(doomed.id);
    expect(ids).toContain(kept.id);
  });
});

describe("the cold archive", () => {
  it("moves an old entity's data to R2 as NDJSON and brings it back on unarchive", async () => {
    await setPolicy("anchor", { purgeDeletedAfterDays: null, archiveAfterDays: 0 });
    const entity = await create("anchor", "City Hall", { place: "Main St 1" });
    await new Promise((r) => setTimeout(r, 5));
    await runDailyCron();

    const stub = await (await request(`/api/v1/entities/${entity.id}`, { headers: tenant.auth })).json<{
      archivedAt: string | null;
      data: object;
    }>();
    expect(stub.archivedAt).not.toBeNull();
    expect(stub.data).toEqual({});
    const object = await env.ARCHIVE.get(archiveKey(tenant.tenantId, entity.id));
    const lines = (await object?.text())?.trim().split("\n") ?? [];
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ kind: "entity", id: entity.id, data: { place: "Main St 1" } });

    const back = await request(`/api/v1/entities/${entity.id}/unarchive`, { method: "POST", headers: tenant.auth });
    expect(back.status).toBe(200);
    expect(await back.json()).toMatchObject({ archivedAt: null, data: { place: "Main St 1" } });
    expect(await env.ARCHIVE.get(archiveKey(tenant.tenantId, entity.id))).toBeNull();
  });

  it("another tenant cannot unarchive it (404)", async () => {
    const other = await signUpTenant("archive-other");
    const entity = await create("anchor", "Library");
    expect(
      (await request(`/api/v1/entities/${entity.id}/unarchive`, { method: "POST", headers: other.auth })).status,
    ).toBe(404);
  });
});
