import { beforeAll, describe, expect, it } from "vitest";
import { request } from "./helpers";
import { apiKeyFor, jsonRequest, signUpTenant, type TestTenant } from "./tenants";

let tenant: TestTenant;
const boilerSchema = {
  type: "object",
  properties: { brand: { type: "string" }, installedYear: { type: "integer", minimum: 1950 } },
  required: ["brand"],
};

beforeAll(async () => {
  tenant = await signUpTenant("types");
  const response = await request(
    "/api/v1/entity-types",
    jsonRequest("POST", { name: "boiler", jsonSchema: boilerSchema }, tenant.auth),
  );
  expect(response.status).toBe(201);
});

const createBoiler = (data: unknown, owner = tenant) =>
  request(
    "/api/v1/entities",
    jsonRequest("POST", { projectId: owner.projectId, type: "boiler", name: "Basement boiler", data }, owner.auth),
  );

describe("entity types", () => {
  it("lists the built-in types with their JSON schema and the tenant's own", async () => {
    const list = await (await request("/api/v1/entity-types", { headers: tenant.auth })).json<{
      items: { name: string; builtIn: boolean }[];
    }>();
    expect(list.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "lead", builtIn: true }),
        expect.objectContaining({ name: "boiler", builtIn: false }),
      ]),
    );
  });

  it("entities of a tenant type are validated by its JSON schema, naming the field", async () => {
    expect((await createBoiler({ brand: "Vaillant", installedYear: 2012 })).status).toBe(201);
    const bad = await createBoiler({ installedYear: 1900 });
    expect(bad.status).toBe(422);
    const fields = (await bad.json<{ errors: { field: string }[] }>()).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["data.brand", "data.installedYear"]));
  });

  it("a built-in name cannot be redefined, nor a name defined twice", async () => {
    const builtIn = await request(
      "/api/v1/entity-types",
      jsonRequest("POST", { name: "lead", jsonSchema: { type: "object" } }, tenant.auth),
    );
    expect(builtIn.status).toBe(422);
    const twice = await request(
      "/api/v1/entity-types",
      jsonRequest("POST", { name: "boiler", jsonSchema: { type: "object" } }, tenant.auth),
    );
    expect(twice.status).toBe(409);
  });

  it("a schema Apex cannot enforce is a 422 naming jsonSchema", async () => {
    const response = await request(
      "/api/v1/entity-types",
      jsonRequest("POST", { name: "weird", jsonSchema: { type: "no-such-type" } }, tenant.auth),
    );
    expect(response.status).toBe(422);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("jsonSchema");
  });

  it("a tenant type is invisible to other tenants", async () => {
    const other = await signUpTenant("types-other");
    const response = await createBoiler({ brand: "X" }, other);
    expect(response.status).toBe(422);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("type");
  });

  it("only admins define types", async () => {
    const member = await apiKeyFor(tenant, "member");
    const response = await request(
      "/api/v1/entity-types",
      jsonRequest("POST", { name: "furnace", jsonSchema: { type: "object" } }, member),
    );
    expect(response.status).toBe(403);
  });
});
