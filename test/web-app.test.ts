import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { jsonRequest, signUpTenant } from "./tenants";
import { WebBrowser } from "./web-browser";

/**
 * The web app as a browser without JavaScript sees it: server-rendered pages,
 * forms, cookies. (The browser tests in e2e/ cover the live, hydrated side.)
 */
async function signUpInBrowser() {
  const browser = new WebBrowser();
  const email = `web-${crypto.randomUUID()}@example.com`;
  await browser.open("/signup");
  const response = await browser.post("/signup", {
    name: "Pat",
    tenantName: "Pat's Plumbing",
    email,
    password: "a long enough password",
  });
  return { response, browser, email };
}

async function viewerOf(owner: Awaited<ReturnType<typeof signUpTenant>>) {
  const email = `viewer-${crypto.randomUUID()}@example.com`;
  const invited = await request("/api/v1/invitations", jsonRequest("POST", { email, role: "viewer" }, owner.auth));
  const { token } = await invited.json<{ token: string }>();
  await request(
    "/api/v1/auth/accept-invitation",
    jsonRequest(
      "POST",
      { token, name: "Vic Viewer", password: "a long enough password" },
      { "cf-connecting-ip": "10.8.0.1" },
    ),
  );
  const browser = new WebBrowser();
  await browser.logIn(email, "a long enough password");
  return browser;
}

describe("the web app", () => {
  it("signing up sets HttpOnly, Secure, SameSite=Lax session cookies and lands on the setup wizard", async () => {
    const { response, browser } = await signUpInBrowser();
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/welcome");
    const lines = response.headers.getSetCookie();
    const access = lines.find((l) => l.startsWith("apex_at="));
    expect(access).toMatch(/HttpOnly/);
    expect(access).toMatch(/Secure/);
    expect(access).toMatch(/SameSite=Lax/);
    const { response: page, html } = await browser.open("/");
    expect(page.status).toBe(200);
    expect(html).toContain("leads today");
    expect(html).toContain("No leads yet today");
  });

  it("a form post without the CSRF token is refused", async () => {
    const { browser } = await signUpInBrowser();
    await browser.open("/");
    const refused = await browser.post("/logout", { csrf: "" });
    expect(refused.status).toBe(403);
    const accepted = await browser.post("/logout", {});
    expect(accepted.status).toBe(302);
    expect(accepted.headers.get("location")).toBe("/login");
  });

  it("a lead page shows the lead, and marking it won changes it", async () => {
    const { browser } = await signUpInBrowser();
    const projects = (await browser.fetch("/api/v1/projects")).status;
    expect(projects).toBe(401); // the API itself takes bearer tokens or API keys, not the cookie
    expect((await browser.open("/")).html).toContain("Today");
    const owner = await signUpTenant("web-lead");
    const lead = await (
      await request(
        "/api/v1/entities",
        jsonRequest("POST", { projectId: owner.projectId, type: "lead", name: "Webby", status: "new" }, owner.auth),
      )
    ).json<{ id: string; version: number }>();
    const ownerBrowser = new WebBrowser();
    const login = await ownerBrowser.logIn(owner.email, owner.password, `/leads/${lead.id}`);
    expect(login.headers.get("location")).toBe(`/leads/${lead.id}`);
    expect((await ownerBrowser.open(`/leads/${lead.id}`)).html).toContain("Webby");
    const won = await ownerBrowser.post(`/leads/${lead.id}`, { intent: "won", version: String(lead.version) });
    expect(won.status).toBe(302);
    const after = await (await request(`/api/v1/entities/${lead.id}`, { headers: owner.auth })).json<{
      status: string;
    }>();
    expect(after.status).toBe("won");
  });

  it("a stale DNA save shows the conflict and keeps the text", async () => {
    const { browser } = await signUpInBrowser();
    await browser.open("/settings/dna");
    const first = await browser.post("/settings/dna", {
      version: "0",
      intent: "save",
      custom: JSON.stringify({ brandBrain: { voice: "First" } }),
    });
    const firstHtml = await first.text();
    expect(firstHtml.replace(/<!-- -->/g, "")).toContain("Saved as version 1");
    const stale = await browser.post("/settings/dna", {
      version: "0",
      intent: "save",
      custom: JSON.stringify({ brandBrain: { voice: "Second" } }),
    });
    expect(stale.status).toBe(412);
    const html = await stale.text();
    expect(html).toContain("Someone else saved the DNA");
    expect(html).toContain("Second");
  });

  it("the speed-to-lead form saves phones, business hours and the whisper into the project's DNA", async () => {
    const owner = await signUpTenant("web-s2l");
    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    await browser.open("/settings/speed-to-lead");
    const saved = await browser.post("/settings/speed-to-lead", {
      version: "0",
      ownerPhone: "+15550107777",
      trackingNumber: "+15550108888",
      timezone: "America/Chicago",
      "mon-from": "08:00",
      "mon-to": "17:00",
      whisperTemplate: "Lead: {name}. Press 1.",
      scoreThreshold: "60",
    });
    expect(saved.status).toBe(200);
    const settings = await (
      await request(`/api/v1/projects/${owner.projectId}/voice-settings`, { headers: owner.auth })
    ).json<Record<string, unknown>>();
    expect(settings).toMatchObject({
      ownerPhone: "+15550107777",
      trackingNumber: "+15550108888",
      timezone: "America/Chicago",
      whisperTemplate: "Lead: {name}. Press 1.",
      scoreThreshold: 60,
      businessHours: { mon: [["08:00", "17:00"]], tue: [] },
    });
  });

  it("the lead list filters by the day a lead arrived", async () => {
    const owner = await signUpTenant("web-date");
    await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: owner.projectId, type: "lead", name: "Today Tess", status: "new" }, owner.auth),
    );
    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    const today = new Date().toISOString().slice(0, 10);
    expect((await browser.open(`/leads?date=${today}`)).html).toContain("Today Tess");
    expect((await browser.open("/leads?date=2001-01-01")).html).not.toContain("Today Tess");
  });

  it("a viewer sees the settings pages but neither what the API keeps from viewers nor a way to change them", async () => {
    const owner = await signUpTenant("web-viewer");
    const viewer = await viewerOf(owner);
    const { html } = await viewer.open("/settings/dna");
    expect(html).toContain("Only members and above can see the business");
    expect(html).not.toContain("merged-dna");
    expect(html).not.toContain("Preview changes");
    const forced = await viewer.post("/settings/dna", { version: "0", intent: "save", custom: "{}" });
    expect(forced.status).toBe(403);
  });
});
