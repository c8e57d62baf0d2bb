import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../schema/db";
import { auditLog } from "../schema/tables";
import { withTenant } from "../schema/tenant-transaction";
import { request } from "./helpers";
import { seedSystemEntity } from "./system-entities";
import { apiKeyFor, jsonRequest, signUpTenant, type TestTenant } from "./tenants";

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await signUpTenant("entities");
});

interface EntityBody {
  id: string;
  name: string;
  status: string | null;
  version: number;
  data: Record<string, unknown>;
  deletedAt: string | null;
}

async function createLead(name = "Jane Doe", data: Record<string, unknown> = { phone: "+15551234567" }) {
  const response = await request(
    "/api/v1/entities",
    jsonRequest("POST", { projectId: tenant.projectId, type: "lead", name, data }, tenant.auth),
  );
  expect(response.status).toBe(201);
  return { response, entity: await response.json<EntityBody>() };
}

const patch = (id: string, body: unknown, ifMatch?: string) =>
  request(
    `/api/v1/entities/${id}`,
    jsonRequest("PATCH", body, { ...tenant.auth, ...(ifMatch ? { "if-match": ifMatch } : {}) }),
  );

describe("creating and reading entities", () => {
  it("a created entity is returned with version 1, an ETag and a Location", async () => {
    const { response, entity } = await createLead();
    expect(entity.version).toBe(1);
    expect(response.headers.get("etag")).toBe('"1"');
    expect(response.headers.get("location")).toBe(`/api/v1/entities/${entity.id}`);
    const read = await request(`/api/v1/entities/${entity.id}`, { headers: tenant.auth });
    expect(read.status).toBe(200);
    expect(read.headers.get("etag")).toBe('"1"');
  });

  it("data that breaks the type's schema is a 422 naming the field, and nothing is stored", async () => {
    const before = await (await request("/api/v1/entities?type=lead&limit=200", { headers: tenant.auth })).json<{
      items: unknown[];
    }>();
    const response = await request(
      "/api/v1/entities",
      jsonRequest(
        "POST",
        { projectId: tenant.projectId, type: "lead", name: "Bad", data: { phone: "555-1234" } },
        tenant.auth,
      ),
    );
    expect(response.status).toBe(422);
    const body = await response.json<{ errors: { field: string }[] }>();
    expect(body.errors.map((e) => e.field)).toContain("data.phone");
    const after = await (await request("/api/v1/entities?type=lead&limit=200", { headers: tenant.auth })).json<{
      items: unknown[];
    }>();
    expect(after.items.length).toBe(before.items.length);
  });

  it("an unknown type is a 422 naming the type field", async () => {
    const response = await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "spaceship", name: "X" }, tenant.auth),
    );
    expect(response.status).toBe(422);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("type");
  });

  it("a project of another tenant is a 422 naming projectId", async () => {
    const other = await signUpTenant("other-project");
    const response = await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: other.projectId, type: "lead", name: "X" }, tenant.auth),
    );
    expect(response.status).toBe(422);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("projectId");
  });

  it("malformed JSON is a 400 problem", async () => {
    const response = await request("/api/v1/entities", {
      method: "POST",
      headers: { ...tenant.auth, "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("(body)");
  });
});

describe("optimistic concurrency", () => {
  it("a write without If-Match is refused with 428", async () => {
    const { entity } = await createLead();
    expect((await patch(entity.id, { name: "New" })).status).toBe(428);
  });

  it("a write with the current ETag succeeds and bumps the version", async () => {
    const { entity } = await createLead();
    const response = await patch(entity.id, { status: "contacted" }, '"1"');
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe('"2"');
    expect((await response.json<EntityBody>()).status).toBe("contacted");
  });

  it("a stale If-Match gets 412 and changes nothing", async () => {
    const { entity } = await createLead("Stale Sam");
    await patch(entity.id, { name: "First edit" }, '"1"');
    const stale = await patch(entity.id, { name: "Lost update" }, '"1"');
    expect(stale.status).toBe(412);
    const read = await (await request(`/api/v1/entities/${entity.id}`, { headers: tenant.auth })).json<EntityBody>();
    expect(read).toMatchObject({ name: "First edit", version: 2 });
  });

  it("of 20 concurrent writes with one If-Match exactly one wins", async () => {
    const { entity } = await createLead("Race");
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => patch(entity.id, { name: `writer ${i}` }, '"1"')),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(19);
  });
});

describe("soft delete, restore and snapshots", () => {
  it("a deleted entity disappears from reads and lists and comes back on restore", async () => {
    const { entity } = await createLead("Deleted Dan");
    const deleted = await request(`/api/v1/entities/${entity.id}`, {
      method: "DELETE",
      headers: { ...tenant.auth, "if-match": '"1"' },
    });
    expect(deleted.status).toBe(200);
    expect((await request(`/api/v1/entities/${entity.id}`, { headers: tenant.auth })).status).toBe(404);
    const list = await (await request("/api/v1/entities?limit=200", { headers: tenant.auth })).json<{
      items: EntityBody[];
    }>();
    expect(list.items.map((e) => e.id)).not.toContain(entity.id);
    const onlyDeleted = await (
      await request("/api/v1/entities?deleted=only&limit=200", { headers: tenant.auth })
    ).json<{ items: EntityBody[] }>();
    expect(onlyDeleted.items.map((e) => e.id)).toContain(entity.id);

    const restored = await request(`/api/v1/entities/${entity.id}/restore`, { method: "POST", headers: tenant.auth });
    expect(restored.status).toBe(200);
    expect((await restored.json<EntityBody>()).deletedAt).toBeNull();
    expect((await request(`/api/v1/entities/${entity.id}`, { headers: tenant.auth })).status).toBe(200);
  });

  it("each change keeps the prior state, and a snapshot can be restored as a new version", async () => {
    const { entity } = await createLead("Original", { phone: "+15550000001" });
    await patch(entity.id, { name: "Renamed", data: { phone: "+15550000002" } }, '"1"');
    const snapshots = await (await request(`/api/v1/entities/${entity.id}/snapshots`, { headers: tenant.auth })).json<{
      items: { version: number; state: { name: string } }[];
    }>();
    expect(snapshots.items).toEqual([
      expect.objectContaining({ version: 1, state: expect.objectContaining({ name: "Original" }) }),
    ]);
    const restored = await request(`/api/v1/entities/${entity.id}/snapshots/1/restore`, {
      method: "POST",
      headers: { ...tenant.auth, "if-match": '"2"' },
    });
    expect(restored.status).toBe(200);
    expect(await restored.json<EntityBody>()).toMatchObject({
      name: "Original",
      version: 3,
      data: { phone: "+15550000001" },
    });
  });
});

describe("listing", () => {
  it("cursor pagination walks every row once, newest first", async () => {
    const own = await signUpTenant("paging");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await request(
        "/api/v1/entities",
        jsonRequest("POST", { projectId: own.projectId, type: "keyword", name: `k${i}` }, own.auth),
      );
      ids.push((await response.json<EntityBody>()).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page: { items: EntityBody[]; nextCursor: string | null } = await (
        await request(`/api/v1/entities?limit=2${query}`, { headers: own.auth })
      ).json();
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it("a cursor this API did not issue is a 422 naming cursor", async () => {
    const response = await request("/api/v1/entities?cursor=garbage", { headers: tenant.auth });
    expect(response.status).toBe(422);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("cursor");
  });
});

describe("authorization and audit", () => {
  it("a viewer can read but not write (403)", async () => {
    const viewer = await apiKeyFor(tenant, "viewer");
    expect((await request("/api/v1/entities", { headers: viewer })).status).toBe(200);
    const write = await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "lead", name: "X" }, viewer),
    );
    expect(write.status).toBe(403);
  });

  it("every change writes an audit row with actor, request id, before/after and how the caller was verified", async () => {
    const { entity, response } = await createLead("Audited");
    await patch(entity.id, { name: "Audited twice" }, '"1"');
    const handle = openDatabase(env);
    const rows = await withTenant(handle.db, tenant.tenantId, (tx) =>
      tx.select().from(auditLog).where(eq(auditLog.entityId, entity.id)),
    );
    await handle.close();
    expect(rows.map((r) => r.action).sort()).toEqual(["entity.create", "entity.update"]);
    const create = rows.find((r) => r.action === "entity.create");
    expect(create).toMatchObject({
      actorType: "user",
      actorId: tenant.userId,
      authMethod: "jwt",
      authIssuer: "apex",
      requestId: response.headers.get("x-request-id"),
    });
    expect(create?.authKid).toBeTruthy();
    const update = rows.find((r) => r.action === "entity.update");
    expect(update?.before).toMatchObject({ name: "Audited" });
    expect(update?.after).toMatchObject({ name: "Audited twice" });
  });

  it("an API key caller is audited as such", async () => {
    const member = await apiKeyFor(tenant, "member");
    const response = await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "lead", name: "By key" }, member),
    );
    const { id } = await response.json<EntityBody>();
    const handle = openDatabase(env);
    const [row] = await withTenant(handle.db, tenant.tenantId, (tx) =>
      tx.select().from(auditLog).where(eq(auditLog.entityId, id)),
    );
    await handle.close();
    expect(row).toMatchObject({ actorType: "api_key", authMethod: "api-key", authKid: null });
  });
});

describe("filtering leads by source and score", () => {
  it("filters in the query, so a page of leads is full and its cursor leads on to more matches", async () => {
    const own = await signUpTenant("lead-filters");
    for (const [i, source] of ["form", "wordpress", "form", "wordpress", "form"].entries()) {
      await seedSystemEntity(own, {
        type: "lead",
        name: `Lead ${i}`,
        data: { source },
        system: { score: { value: i * 20, reasons: ["r"], model: "m", provider: "rules" } },
      });
    }
    const list = async (query: string) =>
      (await request(`/api/v1/entities?type=lead&${query}`, { headers: own.auth })).json<{
        items: EntityBody[];
        nextCursor: string | null;
      }>();
    const forms = await list("source=form&limit=2");
    expect(forms.items.map((l) => l.name)).toEqual(["Lead 4", "Lead 2"]);
    expect(forms.nextCursor).not.toBeNull();
    const rest = await list(`source=form&limit=2&cursor=${forms.nextCursor}`);
    expect(rest.items.map((l) => l.name)).toEqual(["Lead 0"]);
    const hot = await list("minScore=60");
    expect(hot.items.map((l) => l.name)).toEqual(["Lead 4", "Lead 3"]);
  });
});
