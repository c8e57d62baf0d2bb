import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { jsonRequest, signUpTenant } from "./tenants";

/**
 * The web app as a browser without JavaScript sees it: server-rendered pages,
 * forms, cookies. (The browser tests in e2e/ cover the live, hydrated side.)
 */
function cookieJar(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(";")[0])
    .filter((pair) => !pair?.endsWith("="))
    .join("; ");
}

const csrfOf = (cookies: string) => /apex_csrf=([^;]+)/.exec(cookies)?.[1] ?? "";

const form = (fields: Record<string, string>, cookies = "") => ({
  method: "POST",
  redirect: "manual" as const,
  headers: {
    "content-type": "application/x-www-form-urlencoded",
    cookie: cookies,
    "cf-connecting-ip": `10.9.${Math.floor(Math.random() * 250)}.1`,
  },
  body: new URLSearchParams(fields).toString(),
});

async function signUpInBrowser() {
  const email = `web-${crypto.randomUUID()}@example.com`;
  const response = await request(
    "/signup",
    form({ name: "Pat", tenantName: "Pat's Plumbing", email, password: "a long enough password" }),
  );
  return { response, cookies: cookieJar(response), email };
}

describe("the web app", () => {
  it("signing up sets HttpOnly, Secure, SameSite=Lax session cookies and lands on the dashboard", async () => {
    const { response, cookies } = await signUpInBrowser();
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/");
    const lines = response.headers.getSetCookie();
    const access = lines.find((l) => l.startsWith("apex_at="));
    expect(access).toMatch(/HttpOnly/);
    expect(access).toMatch(/Secure/);
    expect(access).toMatch(/SameSite=Lax/);
    const page = await request("/", { headers: { cookie: cookies } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("leads today");
    expect(html).toContain("No leads yet today");
  });

  it("a form post without the CSRF token is refused", async () => {
    const { cookies } = await signUpInBrowser();
    const refused = await request("/logout", form({}, cookies));
    expect(refused.status).toBe(403);
    const accepted = await request("/logout", form({ csrf: csrfOf(cookies) }, cookies));
    expect(accepted.status).toBe(302);
    expect(accepted.headers.get("location")).toBe("/login");
  });

  it("a lead page shows the lead, and marking it won changes it", async () => {
    const { cookies } = await signUpInBrowser();
    const projects = await (await request("/api/v1/projects", { headers: { cookie: cookies } })).status;
    expect(projects).toBe(401); // the API itself takes bearer tokens or API keys, not the cookie
    const dashboard = await (await request("/", { headers: { cookie: cookies } })).text();
    expect(dashboard).toContain("Today");
    const owner = await signUpTenant("web-lead");
    const lead = await (
      await request(
        "/api/v1/entities",
        jsonRequest("POST", { projectId: owner.projectId, type: "lead", name: "Webby", status: "new" }, owner.auth),
      )
    ).json<{ id: string; version: number }>();
    const login = await request(
      "/login",
      form({ email: owner.email, password: owner.password, next: `/leads/${lead.id}` }),
    );
    expect(login.headers.get("location")).toBe(`/leads/${lead.id}`);
    const ownerCookies = cookieJar(login);
    const page = await (await request(`/leads/${lead.id}`, { headers: { cookie: ownerCookies } })).text();
    expect(page).toContain("Webby");
    const won = await request(
      `/leads/${lead.id}`,
      form({ csrf: csrfOf(ownerCookies), intent: "won", version: String(lead.version) }, ownerCookies),
    );
    expect(won.status).toBe(302);
    const after = await (await request(`/api/v1/entities/${lead.id}`, { headers: owner.auth })).json<{
      status: string;
    }>();
    expect(after.status).toBe("won");
  });

  it("a stale DNA save shows the conflict and keeps the text", async () => {
    const { cookies } = await signUpInBrowser();
    const csrf = csrfOf(cookies);
    const first = await request(
      "/settings/dna",
      form({ csrf, version: "0", intent: "save", custom: JSON.stringify({ brandBrain: { voice: "First" } }) }, cookies),
    );
    const firstHtml = await first.text();
    expect(firstHtml.replace(/<!-- -->/g, "")).toContain("Saved as version 1");
    const stale = await request(
      "/settings/dna",
      form(
        { csrf, version: "0", intent: "save", custom: JSON.stringify({ brandBrain: { voice: "Second" } }) },
        cookies,
      ),
    );
    const html = await stale.text();
    expect(html).toContain("Someone else saved the DNA");
    expect(html).toContain("Second");
  });

  it("the speed-to-lead form saves phones, business hours and the whisper into the project's DNA", async () => {
    const owner = await signUpTenant("web-s2l");
    const login = await request("/login", form({ email: owner.email, password: owner.password }));
    const cookies = cookieJar(login);
    const saved = await request(
      "/settings/speed-to-lead",
      form(
        {
          csrf: csrfOf(cookies),
          version: "0",
          ownerPhone: "+15550107777",
          trackingNumber: "+15550108888",
          timezone: "America/Chicago",
          "mon-from": "08:00",
          "mon-to": "17:00",
          whisperTemplate: "Lead: {name}. Press 1.",
          scoreThreshold: "60",
        },
        cookies,
      ),
    );
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
    const login = await request("/login", form({ email: owner.email, password: owner.password }));
    const cookies = cookieJar(login);
    const today = new Date().toISOString().slice(0, 10);
    const onToday = await (await request(`/leads?date=${today}`, { headers: { cookie: cookies } })).text();
    expect(onToday).toContain("Today Tess");
    const longAgo = await (await request("/leads?date=2001-01-01", { headers: { cookie: cookies } })).text();
    expect(longAgo).not.toContain("Today Tess");
  });

  it("a viewer sees the settings but no way to change them", async () => {
    const owner = await signUpTenant("web-viewer");
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
    const login = await request("/login", form({ email, password: "a long enough password" }));
    const viewerCookies = cookieJar(login);
    const html = await (await request("/settings/dna", { headers: { cookie: viewerCookies } })).text();
    expect(html).toContain("can read the settings but not change them");
    expect(html).not.toContain("Preview changes");
    const forced = await request(
      "/settings/dna",
      form({ csrf: csrfOf(viewerCookies), version: "0", intent: "save", custom: "{}" }, viewerCookies),
    );
    expect(forced.status).toBe(403);
  });
});
