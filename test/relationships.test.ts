import { beforeAll, describe, expect, it } from "vitest";
import { request } from "./helpers";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";

let tenant: TestTenant;
let lead: string;
let call: string;

async function create(owner: TestTenant, type: string, name: string): Promise<string> {
  const response = await request(
    "/api/v1/entities",
    jsonRequest("POST", { projectId: owner.projectId, type, name }, owner.auth),
  );
  return (await response.json<{ id: string }>()).id;
}

beforeAll(async () => {
  tenant = await signUpTenant("relationships");
  lead = await create(tenant, "lead", "Jane");
  call = await create(tenant, "call", "Call with Jane");
});

const link = (from: string, body: unknown, owner = tenant) =>
  request(`/api/v1/entities/${from}/relationships`, jsonRequest("POST", body, owner.auth));

describe("relationships", () => {
  it("link a lead to its call and list the edge from both ends", async () => {
    const response = await link(lead, { toId: call, type: "has_call" });
    expect(response.status).toBe(201);
    const out = await (
      await request(`/api/v1/entities/${lead}/relationships?direction=out`, { headers: tenant.auth })
    ).json<{ items: { toId: string }[] }>();
    expect(out.items.map((r) => r.toId)).toEqual([call]);
    const incoming = await (
      await request(`/api/v1/entities/${call}/relationships?direction=in`, { headers: tenant.auth })
    ).json<{ items: { fromId: string }[] }>();
    expect(incoming.items.map((r) => r.fromId)).toEqual([lead]);
  });

  it("the same edge twice is a 409", async () => {
    const page = await create(tenant, "page", "Drain cleaning in Austin");
    const keyword = await create(tenant, "keyword", "drain cleaning austin");
    expect((await link(page, { toId: keyword, type: "targets" })).status).toBe(201);
    expect((await link(page, { toId: keyword, type: "targets" })).status).toBe(409);
  });

  it("a removed edge disappears and can be made again", async () => {
    const a = await create(tenant, "campaign", "Spring");
    const b = await create(tenant, "lead", "Bob");
    const { id } = await (await link(a, { toId: b, type: "reached" })).json<{ id: string }>();
    expect(
      (await request(`/api/v1/entities/${a}/relationships/${id}`, { method: "DELETE", headers: tenant.auth })).status,
    ).toBe(204);
    const list = await (await request(`/api/v1/entities/${a}/relationships`, { headers: tenant.auth })).json<{
      items: unknown[];
    }>();
    expect(list.items).toEqual([]);
    expect((await link(a, { toId: b, type: "reached" })).status).toBe(201);
  });

  it("a target that does not exist is a 422 naming toId", async () => {
    const response = await link(lead, { toId: crypto.randomUUID(), type: "has_call" });
    expect(response.status).toBe(422);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("toId");
  });

  it("another tenant can neither link to, link from, nor list this tenant's entities", async () => {
    const other = await signUpTenant("relationships-other");
    const theirs = await create(other, "lead", "Theirs");
    expect((await link(theirs, { toId: lead, type: "steal" }, other)).status).toBe(422);
    expect((await link(lead, { toId: theirs, type: "steal" }, other)).status).toBe(404);
    expect((await request(`/api/v1/entities/${lead}/relationships`, { headers: other.auth })).status).toBe(404);
  });
});
