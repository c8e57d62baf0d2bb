import { beforeAll, describe, expect, it } from "vitest";
import { request } from "./helpers";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";

let owner: TestTenant;
let intruder: TestTenant;
let entityId: string;

beforeAll(async () => {
  owner = await signUpTenant("owner");
  intruder = await signUpTenant("intruder");
  const created = await request(
    "/api/v1/entities",
    jsonRequest("POST", { projectId: owner.projectId, type: "lead", name: "Private lead" }, owner.auth),
  );
  entityId = (await created.json<{ id: string }>()).id;
});

describe("tenant B cannot reach tenant A's entity by guessing its id", () => {
  const attempts: [string, () => Promise<Response>][] = [
    ["read", () => request(`/api/v1/entities/${entityId}`, { headers: intruder.auth })],
    [
      "update",
      () =>
        request(
          `/api/v1/entities/${entityId}`,
          jsonRequest("PATCH", { name: "pwned" }, { ...intruder.auth, "if-match": '"1"' }),
        ),
    ],
    [
      "delete",
      () =>
        request(`/api/v1/entities/${entityId}`, { method: "DELETE", headers: { ...intruder.auth, "if-match": '"1"' } }),
    ],
    ["restore", () => request(`/api/v1/entities/${entityId}/restore`, { method: "POST", headers: intruder.auth })],
    ["list snapshots", () => request(`/api/v1/entities/${entityId}/snapshots`, { headers: intruder.auth })],
    [
      "restore a snapshot",
      () =>
        request(`/api/v1/entities/${entityId}/snapshots/1/restore`, {
          method: "POST",
          headers: { ...intruder.auth, "if-match": '"1"' },
        }),
    ],
  ];

  for (const [action, attempt] of attempts) {
    it(`${action} answers 404, the same as for an id that does not exist`, async () => {
      const response = await attempt();
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    });
  }

  it("list never includes it", async () => {
    const page = await (await request("/api/v1/entities?deleted=include&limit=200", { headers: intruder.auth })).json<{
      items: { id: string }[];
    }>();
    expect(page.items.map((e) => e.id)).not.toContain(entityId);
  });

  it("and after all that, the owner's entity is unchanged", async () => {
    const response = await request(`/api/v1/entities/${entityId}`, { headers: owner.auth });
    expect(await response.json()).toMatchObject({ name: "Private lead", version: 1, deletedAt: null });
  });
});
