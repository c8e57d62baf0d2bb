import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { request } from "../helpers";
import { signUpTenant } from "../tenants";
import { WebBrowser } from "../web-browser";

/**
 * Issue #11 items 10, 11 (web side), 13 and 15: the web app as an attacker
 * sees it — another site posting forms, planted cookies, crafted `next=`
 * links, hostile form values, framing.
 */
async function ownerBrowser(label: string, origin?: string) {
  const owner = await signUpTenant(label);
  const browser = new WebBrowser(origin);
  expect((await browser.logIn(owner.email, owner.password)).status).toBe(302);
  return { owner, browser };
}

const NO_SQL = /Failed query|insert into|select .* from|syntax for type|violates|postgres|ECONNREFUSED/i;

describe("log-in redirects", () => {
  for (const next of [
    "/\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "//evil.example",
    "/.//evil.example",
    "/a/..//evil.example",
    "/%2e%2e//evil.example",
    "https://evil.example/",
  ]) {
    it(`refuses: an open redirect after log-in through next=${JSON.stringify(next)}`, async () => {
      const owner = await signUpTenant("next");
      const browser = new WebBrowser();
      const response = await browser.logIn(owner.email, owner.password, next);
      expect(response.status).toBe(302);
      expect(response.headers.get("location")).toBe("/");
    });
  }

  it("a same-origin next= with a query is kept", async () => {
    const owner = await signUpTenant("next-ok");
    const response = await new WebBrowser().logIn(owner.email, owner.password, "/leads?status=new");
    expect(response.headers.get("location")).toBe("/leads?status=new");
  });
});

describe("form input reaches services only after validation", () => {
  const hostile: [string, string, Record<string, string>][] = [
    ["an API key with the role superadmin", "/settings/api-keys", { intent: "create", name: "k", role: "superadmin" }],
    ["revoking an API key by a non-uuid id", "/settings/api-keys", { intent: "revoke", id: "1 or 1=1" }],
    [
      "a member role of superadmin",
      "/settings/team",
      { intent: "role", userId: crypto.randomUUID(), role: "superadmin" },
    ],
    ["removing the member __proto__", "/settings/team", { intent: "remove", userId: "__proto__" }],
    [
      "inviting with the role superadmin",
      "/settings/team",
      { intent: "invite", email: "x@example.com", role: "superadmin" },
    ],
    ["retrying the task __proto__", "/tickets", { intent: "retry", id: "__proto__" }],
    [
      "toggling the webhook __proto__",
      "/settings/webhooks",
      { intent: "toggle", id: "__proto__", version: "1", enabled: "true" },
    ],
    [
      "marking a lead won at version __proto__",
      `/leads/${crypto.randomUUID()}`,
      { intent: "won", version: "__proto__" },
    ],
  ];
  for (const [attack, path, fields] of hostile) {
    it(`refuses: ${attack} through the web form, with a 422 and no SQL in the page`, async () => {
      const { browser } = await ownerBrowser("form-input");
      await browser.open(path.startsWith("/leads") ? "/" : path);
      const response = await browser.post(path, fields);
      expect(response.status).toBe(422);
      expect(await response.text()).not.toMatch(NO_SQL);
    });
  }

  it("refuses: leaking a database failure's text into a form's answer (a generic 500 instead)", async () => {
    const { browser } = await ownerBrowser("form-db-down");
    await browser.open("/settings/api-keys");
    const deadDb = new WebBrowser(browser.origin, { NEON_WS_PROXY: env.DEAD_WS_PROXY });
    for (const [name, value] of browser.cookies) deadDb.cookies.set(name, value);
    deadDb.csrf = browser.csrf;
    const response = await deadDb.post("/settings/api-keys", { intent: "create", name: "k", role: "member" });
    expect(response.status).toBe(500);
    const html = await response.text();
    expect(html).toContain("Something went wrong on our side");
    expect(html).not.toMatch(NO_SQL);
    expect(html).not.toContain("127.0.0.1");
  });
});

describe("cross-site requests", () => {
  it("refuses: a cross-site form post without the CSRF field, with 403 (not 500)", async () => {
    const { browser } = await ownerBrowser("csrf-cross");
    const attempts: Record<string, string>[] = [
      { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
      { "sec-fetch-site": "cross-site", "content-type": "text/plain" },
      { "sec-fetch-site": "same-site" },
    ];
    for (const headers of attempts) {
      const response = await browser.fetch("/settings/api-keys", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: "intent=create&name=csrf&role=admin",
      });
      expect(response.status).toBe(403);
    }
    // An older browser without Sec-Fetch-Site still names its origin.
    const byOrigin = await browser.fetch("/settings/api-keys", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: new URLSearchParams({ csrf: browser.csrf, intent: "create", name: "csrf", role: "admin" }).toString(),
    });
    expect(byOrigin.status).toBe(403);
  });

  it("refuses: a same-origin form post whose body is not a form, with 415 (not 500)", async () => {
    const { browser } = await ownerBrowser("csrf-plain");
    const response = await browser.post("/settings/api-keys", {}, { "content-type": "text/plain" });
    expect(response.status).toBe(415);
  });

  it("refuses: a planted CSRF cookie with the matching token of another session", async () => {
    const attacker = await ownerBrowser("csrf-attacker");
    await attacker.browser.open("/settings/api-keys");
    const victim = await ownerBrowser("csrf-victim");
    await victim.browser.open("/settings/api-keys");
    const ownToken = victim.browser.csrf;
    // The attacker's binding cookie and its token, planted in the victim's browser.
    victim.browser.cookies.set("apex_csrf", attacker.browser.cookies.get("apex_csrf") as string);
    victim.browser.csrf = attacker.browser.csrf;
    const planted = await victim.browser.post("/settings/api-keys", {
      intent: "create",
      name: "planted",
      role: "admin",
    });
    expect(planted.status).toBe(403);
    // The old double submit (field = cookie value) does not pass either.
    victim.browser.csrf = victim.browser.cookies.get("apex_csrf") as string;
    const doubled = await victim.browser.post("/settings/api-keys", {
      intent: "create",
      name: "doubled",
      role: "admin",
    });
    expect(doubled.status).toBe(403);
    expect(ownToken).not.toBe(attacker.browser.csrf);
  });

  it("refuses: log-in, sign-up and invitation forms posted without their CSRF token", async () => {
    const owner = await signUpTenant("csrf-login");
    const browser = new WebBrowser();
    await browser.open("/login");
    const login = await browser.post("/login", { email: owner.email, password: owner.password, csrf: "" });
    expect(login.status).toBe(403);
    expect(login.headers.getSetCookie().some((line) => line.startsWith("apex_at="))).toBe(false);
    const signup = await browser.post("/signup", {
      csrf: "",
      name: "Mal",
      tenantName: "Mal Co",
      email: `mal-${crypto.randomUUID()}@example.com`,
      password: "a long enough password",
    });
    expect(signup.status).toBe(403);
    const join = await browser.post("/accept-invitation", {
      csrf: "",
      token: "x",
      name: "Mal",
      password: "a long enough password",
    });
    expect(join.status).toBe(403);
  });

  it("log-in replaces the CSRF binding from before the log-in (no fixation)", async () => {
    const owner = await signUpTenant("csrf-rotate");
    const browser = new WebBrowser();
    await browser.open("/login");
    const before = browser.cookies.get("apex_csrf");
    await browser.post("/login", { email: owner.email, password: owner.password });
    expect(browser.cookies.get("apex_csrf")).toBeTruthy();
    expect(browser.cookies.get("apex_csrf")).not.toBe(before);
  });
});

describe("cookies on https", () => {
  it("refuses: cookies a sibling subdomain or plain http could plant — every session cookie is __Host-", async () => {
    const owner = await signUpTenant("host-cookies");
    const browser = new WebBrowser("https://apex.test");
    const response = await browser.logIn(owner.email, owner.password);
    expect(response.status).toBe(302);
    const lines = response.headers.getSetCookie();
    for (const name of ["__Host-apex_at", "__Host-apex_rt", "__Host-apex_csrf"]) {
      const line = lines.find((l) => l.startsWith(`${name}=`)) ?? "";
      expect(line).toMatch(/; Secure/);
      expect(line).toMatch(/; Path=\//);
      expect(line).toMatch(/; HttpOnly/);
      expect(line).not.toMatch(/Domain=/i);
    }
    expect(lines.some((l) => /^apex_(at|rt|csrf)=/.test(l))).toBe(false);
    expect((await browser.open("/")).response.status).toBe(200);
  });

  it("refuses: a planted plain-named session cookie on https", async () => {
    const owner = await signUpTenant("host-plain");
    const plain = new WebBrowser("http://apex.test");
    await plain.logIn(owner.email, owner.password);
    const https = new WebBrowser("https://apex.test");
    for (const [name, value] of plain.cookies) https.cookies.set(name, value);
    const response = await https.fetch("/");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toMatch(/^\/login/);
  });
});

describe("security headers", () => {
  it("refuses: framing a settings page, sniffing, leaking referrers, or inline scripts without the nonce", async () => {
    const { browser } = await ownerBrowser("headers-ui");
    const { response, html } = await browser.open("/settings/api-keys");
    expect(response.status).toBe(200);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    const nonce = /script-src 'self' 'nonce-([A-Za-z0-9_-]+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    // Every inline script (Remix's hydration data and bootstrap) carries this response's nonce.
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1] ?? "");
    expect(inline.length).toBeGreaterThan(0);
    for (const attributes of inline) expect(attributes).toContain(`nonce="${nonce}"`);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("same-origin");
    expect(response.headers.get("strict-transport-security")).toMatch(/max-age=\d{7,}/);
    // A new nonce each response.
    const again = (await browser.open("/settings/api-keys")).response.headers.get("content-security-policy");
    expect(again).not.toBe(csp);
  });

  it("refuses: framing or sniffing API answers, errors included", async () => {
    for (const path of ["/api/health", "/api/v1/entities", "/api/nope"]) {
      const response = await request(path);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    }
  });
});
