import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../schema/db";
import { trackingNumbers } from "../schema/tables";
import { withTenant } from "../schema/tenant-transaction";
import { request } from "./helpers";
import { apiKeyFor, jsonRequest, memberOf, signUpTenant, type TestTenant } from "./tenants";
import { WebBrowser } from "./web-browser";

/**
 * Several projects (locations) per tenant through the API: create, rename,
 * archive and unarchive, each audited, admin and above, safe to retry.
 */
interface ProjectView {
  id: string;
  name: string;
  spendStatus: string;
  archivedAt: string | null;
  version: number;
}
interface ProblemBody {
  type: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}

const create = (t: TestTenant, body: unknown, headers: Record<string, string> = t.auth) =>
  request("/api/v1/projects", jsonRequest("POST", body, headers));
const archive = (t: TestTenant, id: string, headers: Record<string, string> = {}) =>
  request(`/api/v1/projects/${id}/archive`, { method: "POST", headers: { ...t.auth, ...headers } });
const unarchive = (t: TestTenant, id: string) =>
  request(`/api/v1/projects/${id}/unarchive`, { method: "POST", headers: t.auth });
const list = async (t: TestTenant, query = "") =>
  (await (await request(`/api/v1/projects${query}`, { headers: t.auth })).json<{ items: ProjectView[] }>()).items;
const auditOf = async (t: TestTenant, action: string, entityId: string) =>
  (
    await (
      await request(`/api/v1/audit?action=${action}&entityId=${entityId}`, { headers: t.auth })
    ).json<{ items: { action: string; before: unknown; after: unknown }[] }>()
  ).items;

async function created(t: TestTenant, name: string): Promise<ProjectView> {
  const response = await create(t, { name });
  expect(response.status).toBe(201);
  return response.json<ProjectView>();
}

describe("projects", () => {
  it("an admin creates a project with the cap signup gives; it is listed and audited", async () => {
    const owner = await signUpTenant("projects-create");
    const response = await create(owner, { name: "  Springfield  " }, await apiKeyFor(owner, "admin"));
    expect(response.status).toBe(201);
    const project = await response.json<ProjectView>();
    expect(project).toMatchObject({ name: "Springfield", archivedAt: null, version: 1, spendStatus: "active" });
    expect(response.headers.get("etag")).toBe('"1"');
    expect((await list(owner)).map((p) => p.name)).toEqual(["Main", "Springfield"]);
    const usage = await (await request(`/api/v1/projects/${project.id}/usage`, { headers: owner.auth })).json<{
      capUsd: number | null;
    }>();
    expect(usage.capUsd).toBe(Number(env.DEFAULT_MONTHLY_CAP_USD));
    const audit = await auditOf(owner, "project.create", project.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.after).toMatchObject({ id: project.id, name: "Springfield" });
  });

  it("a member cannot create a project", async () => {
    const owner = await signUpTenant("projects-member");
    const member = await memberOf(owner, "member");
    const response = await create(owner, { name: "Shelbyville" }, member.auth);
    expect(response.status).toBe(403);
    expect((await list(owner)).map((p) => p.name)).toEqual(["Main"]);
  });

  it("a blank or missing name is a 422 naming name, and nothing is created", async () => {
    const owner = await signUpTenant("projects-bad");
    for (const body of [{ name: "   " }, {}, { name: 7 }, { name: "x".repeat(101) }]) {
      const response = await create(owner, body);
      expect(response.status).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect((await response.json<ProblemBody>()).errors?.map((e) => e.field)).toEqual(["name"]);
    }
    expect(await list(owner, "?archived=true")).toHaveLength(1);
  });

  it("a name another project of the tenant has is a 409 naming name", async () => {
    const owner = await signUpTenant("projects-same-name");
    const response = await create(owner, { name: "main" });
    expect(response.status).toBe(409);
    expect((await response.json<ProblemBody>()).errors?.map((e) => e.field)).toEqual(["name"]);
  });

  it("a retry with the same Idempotency-Key creates the project once and answers the same", async () => {
    const owner = await signUpTenant("projects-retry");
    const headers = { ...owner.auth, "idempotency-key": `create-${crypto.randomUUID()}` };
    const first = await create(owner, { name: "Capital City" }, headers);
    const again = await create(owner, { name: "Capital City" }, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(await first.json());
    expect((await list(owner)).filter((p) => p.name === "Capital City")).toHaveLength(1);
  });

  it("a rename needs the current version in If-Match; a stale one is a 412 and changes nothing", async () => {
    const owner = await signUpTenant("projects-rename");
    const project = await created(owner, "Ogdenville");
    const path = `/api/v1/projects/${project.id}`;
    expect((await request(path, jsonRequest("PATCH", { name: "North Haverbrook" }, owner.auth))).status).toBe(428);
    const renamed = await request(
      path,
      jsonRequest("PATCH", { name: "North Haverbrook" }, { ...owner.auth, "if-match": '"1"' }),
    );
    expect(renamed.status).toBe(200);
    expect(await renamed.json<ProjectView>()).toMatchObject({ name: "North Haverbrook", version: 2 });
    expect(renamed.headers.get("etag")).toBe('"2"');
    const stale = await request(path, jsonRequest("PATCH", { name: "Brockway" }, { ...owner.auth, "if-match": '"1"' }));
    expect(stale.status).toBe(412);
    expect((await list(owner)).find((p) => p.id === project.id)?.name).toBe("North Haverbrook");
    const [audit] = await auditOf(owner, "project.rename", project.id);
    expect(audit).toMatchObject({ before: { name: "Ogdenville" }, after: { name: "North Haverbrook" } });
  });

  it("archiving takes a project out of the list, ?archived=true still shows it, and unarchiving brings it back", async () => {
    const owner = await signUpTenant("projects-archive");
    const project = await created(owner, "Springfield");
    const archived = await archive(owner, project.id);
    expect(archived.status).toBe(200);
    expect((await archived.json<ProjectView>()).archivedAt).not.toBeNull();
    expect((await list(owner)).map((p) => p.name)).toEqual(["Main"]);
    expect((await list(owner, "?archived=true")).map((p) => p.name)).toEqual(["Main", "Springfield"]);
    expect(await auditOf(owner, "project.archive", project.id)).toHaveLength(1);
    const back = await unarchive(owner, project.id);
    expect(back.status).toBe(200);
    expect((await back.json<ProjectView>()).archivedAt).toBeNull();
    expect((await list(owner)).map((p) => p.name)).toEqual(["Main", "Springfield"]);
    expect(await auditOf(owner, "project.unarchive", project.id)).toHaveLength(1);
  });

  it("the tenant's last active project cannot be archived", async () => {
    const owner = await signUpTenant("projects-last");
    const response = await archive(owner, owner.projectId);
    expect(response.status).toBe(409);
    const body = await response.json<ProblemBody>();
    expect(body.type).toBe("urn:apex:problem:last-active-project");
    expect(body.detail).toContain("only active project");
    expect((await list(owner)).map((p) => p.id)).toEqual([owner.projectId]);
  });

  it("a project holding a number bought through Apex cannot be archived until the number is released", async () => {
    const owner = await signUpTenant("projects-numbers");
    const project = await created(owner, "Springfield");
    const number = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
    const handle = openDatabase(env);
    try {
      await withTenant(handle.db, owner.tenantId, (tx) =>
        tx
          .insert(trackingNumbers)
          .values({ number, tenantId: owner.tenantId, projectId: project.id, origin: "purchased" }),
      );
    } finally {
      await handle.close();
    }
    const response = await archive(owner, project.id);
    expect(response.status).toBe(409);
    const body = await response.json<ProblemBody>();
    expect(body.type).toBe("urn:apex:problem:project-holds-numbers");
    expect(body.detail).toContain(number);
    expect(body.detail).toContain("Release its numbers first");
    expect((await list(owner)).map((p) => p.id)).toContain(project.id);
  });

  it("an admin archives, a member does not", async () => {
    const owner = await signUpTenant("projects-archive-role");
    const project = await created(owner, "Springfield");
    const member = await memberOf(owner, "member");
    expect((await archive(owner, project.id, member.auth)).status).toBe(403);
    expect((await archive(owner, project.id, await apiKeyFor(owner, "admin"))).status).toBe(200);
  });

  it("another tenant's project is not found, whatever the role", async () => {
    const owner = await signUpTenant("projects-mine");
    const other = await signUpTenant("projects-theirs");
    await created(other, "Theirs");
    expect((await archive(other, owner.projectId)).status).toBe(404);
    expect(
      (
        await request(
          `/api/v1/projects/${owner.projectId}`,
          jsonRequest("PATCH", { name: "Mine now" }, { ...other.auth, "if-match": '"1"' }),
        )
      ).status,
    ).toBe(404);
    expect((await list(owner)).map((p) => p.name)).toEqual(["Main"]);
  });

  it("Settings → Projects creates a project, and shows a blank name's problem beside the name field", async () => {
    const owner = await signUpTenant("projects-page");
    const browser = new WebBrowser();
    expect((await browser.logIn(owner.email, owner.password)).status).toBe(302);
    await browser.open("/settings/projects");
    const blank = await browser.post("/settings/projects", { intent: "create", name: "  " });
    expect(blank.status).toBe(422);
    expect(await blank.text()).toMatch(/id="name-error" class="error">must not be empty</);
    const made = await browser.post("/settings/projects", { intent: "create", name: "Springfield" });
    expect(made.status).toBe(200);
    expect((await list(owner)).map((p) => p.name)).toEqual(["Main", "Springfield"]);
    const { html } = await browser.open("/settings/projects");
    expect(html.match(/data-testid="project-row"/g)).toHaveLength(2);
  });

  it("Settings → Projects refuses to archive the last project, saying why", async () => {
    const owner = await signUpTenant("projects-page-last");
    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    await browser.open("/settings/projects");
    const refused = await browser.post("/settings/projects", { intent: "archive", id: owner.projectId });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("only active project");
  });
});
