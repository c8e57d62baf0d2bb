import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { setIntakeSecret } from "./intake-secrets";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";
import { testPhone } from "./twilio";
import { WebBrowser } from "./web-browser";

/**
 * Two projects of one tenant never mix: the project chosen in the header is
 * the one every settings page edits and every list shows, and a lead posted
 * to one project's form lands in that project alone.
 */
async function secondProject(owner: TestTenant, name: string): Promise<TestTenant> {
  const response = await request("/api/v1/projects", jsonRequest("POST", { name }, owner.auth));
  expect(response.status).toBe(201);
  return { ...owner, projectId: (await response.json<{ id: string }>()).id };
}

async function signedIn(owner: TestTenant): Promise<WebBrowser> {
  const browser = new WebBrowser();
  expect((await browser.logIn(owner.email, owner.password)).status).toBe(302);
  return browser;
}

/** Chooses `projectId` with the header's switcher, as a browser without JavaScript does; answers the redirect. */
async function choose(browser: WebBrowser, projectId: string, next = "/"): Promise<Response> {
  await browser.open(next);
  return browser.post("/projects/switch", { projectId, next });
}

const settingsOf = async (project: TestTenant) =>
  (await request(`/api/v1/projects/${project.projectId}/speed-to-lead-settings`, { headers: project.auth })).json<{
    ownerPhone?: string;
  }>();

async function postFormLead(project: TestTenant, name: string): Promise<Response> {
  const token = await setIntakeSecret(project, "form");
  return request(
    `/webhooks/leads/form?project=${project.projectId}&token=${encodeURIComponent(token)}`,
    jsonRequest("POST", { name, email: `${crypto.randomUUID()}@example.com` }, {}),
  );
}

describe("two projects of one tenant", () => {
  it("the switcher keeps the chosen project and sends the browser back to the page it came from", async () => {
    const a = await signUpTenant("never-mix-switch");
    const b = await secondProject(a, "Shelbyville");
    const browser = await signedIn(a);
    const switched = await choose(browser, b.projectId, "/leads");
    expect(switched.status).toBe(302);
    expect(switched.headers.get("location")).toBe("/leads");
    const { html } = await browser.open("/leads");
    expect(html).toMatch(new RegExp(`<option value="${b.projectId}" selected=""`));
  });

  it("speed-to-lead settings saved with B chosen are B's, and A's stay as they were", async () => {
    const a = await signUpTenant("never-mix-settings");
    const b = await secondProject(a, "Shelbyville");
    const browser = await signedIn(a);
    await choose(browser, b.projectId, "/settings/speed-to-lead");
    const ownerPhone = testPhone();
    const saved = await browser.post("/settings/speed-to-lead", { version: "0", ownerPhone });
    expect(saved.status).toBe(200);
    expect((await settingsOf(b)).ownerPhone).toBe(ownerPhone);
    expect((await settingsOf(a)).ownerPhone).toBeUndefined();
  });

  it("a lead posted to B's form is on the leads page with B chosen, and not with A chosen", async () => {
    const a = await signUpTenant("never-mix-leads");
    const b = await secondProject(a, "Shelbyville");
    const name = `Bea ${crypto.randomUUID().slice(0, 8)}`;
    expect((await postFormLead(b, name)).status).toBe(200);
    const browser = await signedIn(a);
    await choose(browser, b.projectId, "/leads");
    expect((await browser.open("/leads")).html).toContain(name);
    await choose(browser, a.projectId, "/leads");
    expect((await browser.open("/leads")).html).not.toContain(name);
    const onlyA = await request(`/api/v1/entities?type=lead&projectId=${a.projectId}`, { headers: a.auth });
    expect(JSON.stringify(await onlyA.json())).not.toContain(name);
  });

  it("the dashboard counts the chosen project's leads only", async () => {
    const a = await signUpTenant("never-mix-dashboard");
    const b = await secondProject(a, "Shelbyville");
    expect((await postFormLead(b, "Dee Dashboard")).status).toBe(200);
    const browser = await signedIn(a);
    await choose(browser, a.projectId);
    expect((await browser.open("/")).html).toMatch(/data-testid="leads-today">0</);
    await choose(browser, b.projectId);
    expect((await browser.open("/")).html).toMatch(/data-testid="leads-today">1</);
  });

  it("a project id from another tenant in the cookie is not honoured: the pages show the first project", async () => {
    const a = await signUpTenant("never-mix-cookie");
    await secondProject(a, "Shelbyville");
    const stranger = await signUpTenant("never-mix-stranger");
    const name = `Sid ${crypto.randomUUID().slice(0, 8)}`;
    expect((await postFormLead(stranger, name)).status).toBe(200);
    const browser = await signedIn(a);
    browser.cookies.set("apex_project", stranger.projectId);
    const { html } = await browser.open("/leads");
    expect(html).not.toContain(name);
    expect(html).toMatch(new RegExp(`<option value="${a.projectId}" selected=""`));
    // Nor can the switcher be made to keep it.
    const refused = await browser.post("/projects/switch", { projectId: stranger.projectId, next: "/leads" });
    expect(refused.headers.getSetCookie().join()).not.toContain(stranger.projectId);
  });

  it("an archived project's form is refused, and its lead stored nowhere", async () => {
    const a = await signUpTenant("never-mix-archived");
    const b = await secondProject(a, "Shelbyville");
    const token = await setIntakeSecret(b, "form");
    expect((await request(`/api/v1/projects/${b.projectId}/archive`, { method: "POST", headers: a.auth })).status).toBe(
      200,
    );
    const name = `Arch ${crypto.randomUUID().slice(0, 8)}`;
    const refused = await request(
      `/webhooks/leads/form?project=${b.projectId}&token=${encodeURIComponent(token)}`,
      jsonRequest("POST", { name, email: `${crypto.randomUUID()}@example.com` }, {}),
    );
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("archived");
    const leads = await request("/api/v1/entities?type=lead", { headers: a.auth });
    expect(JSON.stringify(await leads.json())).not.toContain(name);
  });
});
