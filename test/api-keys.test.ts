import { beforeAll, describe, expect, it } from "vitest";
import { request } from "./helpers";
import { apiKeyFor, jsonRequest, signUpTenant, type TestTenant } from "./tenants";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await signUpTenant("keys");
});

const createKey = (body: unknown, headers = tenant.auth) =>
  request("/api/v1/api-keys", jsonRequest("POST", body, headers));

describe("API keys", () => {
  it("a created key is shown once, authenticates with its role, and is listed without the secret", async () => {
    const response = await createKey({ name: "CRM sync", role: "member" });
    expect(response.status).toBe(201);
    const { key, id } = await response.json<{ key: string; id: string }>();
    expect(key).toMatch(new RegExp(`^ak_${tenant.tenantId}_`));
    expect((await request("/api/v1/entities", { headers: { "x-api-key": key } })).status).toBe(200);
    const listing = await (await request("/api/v1/api-keys", { headers: tenant.auth })).text();
    expect(listing).toContain(id);
    expect(listing).not.toContain(key);
  });

  it("a revoked key stops working at once", async () => {
    const { key, id } = await (await createKey({ name: "Temp", role: "viewer" })).json<{ key: string; id: string }>();
    expect((await request(`/api/v1/api-keys/${id}`, { method: "DELETE", headers: tenant.auth })).status).toBe(204);
    expect((await request("/api/v1/entities", { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
  });

  it("a made-up key for a real tenant is refused", async () => {
    const fake = `ak_${tenant.tenantId}_${"x".repeat(43)}`;
    expect((await request("/api/v1/entities", { headers: { authorization: `Bearer ${fake}` } })).status).toBe(401);
  });

  it("an admin cannot mint an owner key (403 naming role)", async () => {
    const admin = await apiKeyFor(tenant, "admin");
    const response = await createKey({ name: "Escalate", role: "owner" }, admin);
    expect(response.status).toBe(403);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("role");
  });

  it("a member cannot manage keys (403)", async () => {
    const member = await apiKeyFor(tenant, "member");
    expect((await request("/api/v1/api-keys", { headers: member })).status).toBe(403);
  });

  it("another tenant cannot revoke this tenant's key (404)", async () => {
    const other = await signUpTenant("keys-other");
    const { id } = await (await createKey({ name: "Mine", role: "viewer" })).json<{ id: string }>();
    expect((await request(`/api/v1/api-keys/${id}`, { method: "DELETE", headers: other.auth })).status).toBe(404);
  });
});

describe("the audit log API", () => {
  it("lists this tenant's entries, filterable by entity, with verification metadata", async () => {
    const created = await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "lead", name: "Audit me" }, tenant.auth),
    );
    const { id } = await created.json<{ id: string }>();
    const page = await (await request(`/api/v1/audit?entityId=${id}`, { headers: tenant.auth })).json<{
      items: { action: string; verification: { method: string; kid: string | null } }[];
    }>();
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ action: "entity.create", verification: { method: "jwt" } });
    expect(page.items[0]?.verification.kid).toBeTruthy();
  });

  it("never shows another tenant's entries", async () => {
    const other = await signUpTenant("audit-other");
    const page = await (await request("/api/v1/audit?limit=200", { headers: other.auth })).json<{
      items: { actorId: string | null }[];
    }>();
    expect(page.items.every((e) => e.actorId !== tenant.userId)).toBe(true);
  });

  it("is for admins: a viewer gets 403", async () => {
    const viewer = await apiKeyFor(tenant, "viewer");
    expect((await request("/api/v1/audit", { headers: viewer })).status).toBe(403);
  });
});

describe("the API reference", () => {
  it("serves an interactive page at /api/docs pointing at the OpenAPI document", async () => {
    const response = await request("/api/docs");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("/api/openapi.json");
  });
});
