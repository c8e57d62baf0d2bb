import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../schema/db";
import { withTenant } from "../schema/tenant-transaction";
import { setOptOut } from "../workers/repositories/opt-outs";
import { request } from "./helpers";
import { jsonRequest, memberOf, signUpTenant, type TestTenant } from "./tenants";

/**
 * Past customers in (#16 item 1): POST /api/v1/projects/{id}/customer-imports.
 * A CSV with bad rows writes nothing until confirmed, and reports each bad
 * row by line and field.
 */

const handle = openDatabase(env);
afterAll(() => handle.close());

const CSV = [
  "Name,Phone,Email,Last job,Service",
  "Ann Archer,(415) 555-0101,ann@example.com,2024-03-02,Boiler service",
  "Bad Phone Bob,12,bob@example.com,2024-03-02,Leak",
  'Carla Cruz,415-555-0103,"carla@example.com",2023-11-20,"Water heater, 40 gal"',
  "Ann Again,415 555 0101,,2024-01-01,Boiler",
  "Dora Doe,415-555-0104,not-an-email,2024-01-01,Drain",
].join("\n");

interface Report {
  confirmed: boolean;
  dataRows: number;
  importable: number;
  created: number;
  errors: { line: number; field: string; message: string; duplicateOf?: number }[];
}

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await signUpTenant("customer-import");
});

const importPath = (t: TestTenant) => `/api/v1/projects/${t.projectId}/customer-imports`;
const post = (t: TestTenant, body: Record<string, unknown>, headers: Record<string, string> = t.auth) =>
  request(importPath(t), jsonRequest("POST", body, headers));

async function leadsOf(t: TestTenant) {
  const listed = await request("/api/v1/entities?type=lead&limit=100", { headers: t.auth });
  return (
    await listed.json<{
      items: {
        id: string;
        name: string;
        status: string;
        data: Record<string, unknown>;
        system: Record<string, unknown>;
      }[];
    }>()
  ).items;
}

describe("importing past customers", () => {
  it("reports each bad row by line and field and writes nothing until confirmed", async () => {
    const own = await signUpTenant("import-report");

    const response = await post(own, { csv: CSV, consentBasis: "existing-customer" });

    expect(response.status).toBe(200);
    const report = await response.json<Report>();
    expect(report).toMatchObject({ confirmed: false, dataRows: 5, importable: 2, created: 0 });
    expect(report.errors.map((e) => [e.line, e.field])).toEqual([
      [3, "phone"],
      [5, "phone"],
      [6, "email"],
    ]);
    expect(report.errors.find((e) => e.line === 5)?.duplicateOf).toBe(2);
    expect(await leadsOf(own)).toEqual([]);
  });

  it("writes the good rows as won leads carrying the attested consent basis, and leaves the bad rows out", async () => {
    const own = await signUpTenant("import-confirm");

    const response = await post(
      own,
      { csv: CSV, consentBasis: "existing-customer", confirm: true },
      { ...own.auth, "idempotency-key": crypto.randomUUID() },
    );

    expect(response.status).toBe(200);
    expect(await response.json<Report>()).toMatchObject({ confirmed: true, created: 2 });
    const leads = await leadsOf(own);
    expect(leads.map((l) => [l.name, l.status, l.data.phone]).sort()).toEqual([
      ["Ann Archer", "won", "+14155550101"],
      ["Carla Cruz", "won", "+14155550103"],
    ]);
    const carla = leads.find((l) => l.name === "Carla Cruz");
    expect(carla?.data).toMatchObject({ jobType: "Water heater, 40 gal", lastJobDate: "2023-11-20", source: "import" });
    expect(carla?.system.imported).toMatchObject({
      line: 4,
      consent: { basis: "existing-customer", attestedBy: own.userId },
    });
  });

  it("a confirmed import retried with its Idempotency-Key writes nothing more", async () => {
    const own = await signUpTenant("import-retry");
    const headers = { ...own.auth, "idempotency-key": crypto.randomUUID() };
    const body = { csv: CSV, consentBasis: "explicit-opt-in", confirm: true };

    await post(own, body, headers);
    const again = await post(own, body, headers);

    expect(again.status).toBe(200);
    expect(await again.json<Report>()).toMatchObject({ created: 2 });
    expect(await leadsOf(own)).toHaveLength(2);
  });

  it("does not import a customer the project already has as a lead, and names that lead", async () => {
    const own = await signUpTenant("import-existing");
    const created = await request(
      "/api/v1/entities",
      jsonRequest(
        "POST",
        { projectId: own.projectId, type: "lead", name: "Ann", data: { phone: "+14155550101" } },
        own.auth,
      ),
    );
    const { id } = await created.json<{ id: string }>();

    const report = await (await post(own, { csv: CSV, consentBasis: "existing-customer" })).json<Report>();

    const line2 = report.errors.find((e) => e.line === 2);
    expect(line2).toMatchObject({ field: "phone" });
    expect(line2?.message).toContain(id);
    expect(report.importable).toBe(1);
  });

  it("does not import a number that opted out", async () => {
    const own = await signUpTenant("import-stopped");
    await withTenant(handle.db, own.tenantId, (tx) => setOptOut(tx, own.tenantId, "+14155550103", true, "STOP"));

    const report = await (await post(own, { csv: CSV, consentBasis: "existing-customer" })).json<Report>();

    expect(report.errors.find((e) => e.line === 4)).toMatchObject({ field: "phone" });
    expect(report.errors.find((e) => e.line === 4)?.message).toContain("opted out");
  });

  it("refuses a file whose quote never closes with a 422 naming csv and the line", async () => {
    const response = await post(tenant, {
      csv: 'Name,Phone\n"Open quote,4155550101\n',
      consentBasis: "existing-customer",
    });

    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await response.json<{ errors: { field: string; message: string }[] }>();
    expect(problem.errors[0]?.field).toBe("csv");
    expect(problem.errors[0]?.message).toContain("line 2");
  });

  it("refuses a member: importing customers attests to their consent, an admin's act", async () => {
    const member = await memberOf(tenant, "member");

    const response = await post(tenant, { csv: CSV, consentBasis: "existing-customer" }, member.auth);

    expect(response.status).toBe(403);
  });
});
