import { describe, expect, it } from "vitest";
import { request } from "../helpers";
import { apiKeyFor, jsonRequest, signUpTenant, type TestTenant } from "../tenants";
import { WebBrowser } from "../web-browser";

/**
 * Issue #11 item 4: the speed-to-lead intake secrets (the shared secrets lead
 * sources prove themselves with) are admin-only, in the API and in the web
 * app alike: lower roles get a `…1234` hint, the pages never load the secret,
 * and a form or client that only saw the hint cannot wipe it.
 */
interface Secrets {
  formToken: string;
  wordpressSecret: string;
  googleKey: string;
}

const voicePath = (t: TestTenant) => `/api/v1/projects/${t.projectId}/voice-settings`;
const dnaPath = (t: TestTenant) => `/api/v1/projects/${t.projectId}/dna`;

async function tenantWithSecrets(label: string): Promise<{ owner: TestTenant; secrets: Secrets }> {
  const owner = await signUpTenant(label);
  const tag = crypto.randomUUID().replaceAll("-", "");
  const secrets = {
    formToken: `FORMTOKEN${tag}`,
    wordpressSecret: `WPSECRET${tag}`,
    googleKey: `GKEY${tag}`,
  };
  const saved = await request(
    voicePath(owner),
    jsonRequest("PUT", { ownerPhone: "+15550101234", intake: secrets }, { ...owner.auth, "if-match": '"0"' }),
  );
  expect(saved.status).toBe(200);
  return { owner, secrets };
}

async function browserWithRole(owner: TestTenant, role: "viewer" | "member"): Promise<WebBrowser> {
  const email = `${role}-${crypto.randomUUID()}@example.com`;
  const invited = await request("/api/v1/invitations", jsonRequest("POST", { email, role }, owner.auth));
  const { token } = await invited.json<{ token: string }>();
  const password = "a long enough password";
  const accepted = await request(
    "/api/v1/auth/accept-invitation",
    jsonRequest("POST", { token, name: `A ${role}`, password }, { "cf-connecting-ip": "10.8.1.1" }),
  );
  expect(accepted.status).toBeLessThan(300);
  const browser = new WebBrowser();
  expect((await browser.logIn(email, password)).status).toBe(302);
  return browser;
}

const expectNoSecret = (text: string, secrets: Secrets) => {
  for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
};

describe("intake secrets by role", () => {
  it("refuses: a member reading intake secrets through GET /dna (merged or any layer) — hints only", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-member-dna");
    const member = await apiKeyFor(owner, "member");
    const merged = await request(dnaPath(owner), { headers: member });
    expect(merged.status).toBe(200);
    const text = await merged.text();
    expectNoSecret(text, secrets);
    const intake = (JSON.parse(text) as { dna: { modules: { speedToLead: { intake: Record<string, string> } } } }).dna
      .modules.speedToLead.intake;
    expect(intake.formToken).toBe(`…${secrets.formToken.slice(-4)}`);
    for (const layer of ["defaults", "generated", "custom"]) {
      expectNoSecret(await (await request(`${dnaPath(owner)}?layer=${layer}`, { headers: member })).text(), secrets);
    }
  });

  it("refuses: a member reading intake secrets through GET /voice-settings", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-member-voice");
    const response = await request(voicePath(owner), { headers: await apiKeyFor(owner, "member") });
    expect(response.status).toBe(403);
    expectNoSecret(await response.text(), secrets);
  });

  it("refuses: a viewer finding intake secrets in the HTML of /settings/speed-to-lead and /settings/dna", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-viewer-ui");
    const viewer = await browserWithRole(owner, "viewer");
    for (const page of ["/settings/speed-to-lead", "/settings/dna"]) {
      const { response, html } = await viewer.open(page);
      expect(response.status).toBe(200);
      expectNoSecret(html, secrets);
      // The page's data travels through the single-fetch endpoint too.
      expectNoSecret(await (await viewer.fetch(`${page}.data`)).text(), secrets);
    }
  });

  it("an admin still reads the intake secrets, in the API and on the DNA page", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-admin");
    const admin = await apiKeyFor(owner, "admin");
    const api = await (await request(dnaPath(owner), { headers: admin })).text();
    expect(api).toContain(secrets.formToken);
    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    expect((await browser.open("/settings/dna")).html).toContain(secrets.wordpressSecret);
  });

  it("refuses: wiping the secrets by saving the speed-to-lead form, or by sending their hints back", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-keep");
    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    await browser.open("/settings/speed-to-lead");
    const saved = await browser.post("/settings/speed-to-lead", { version: "1", ownerPhone: "+15550105555" });
    expect(saved.status).toBe(200);
    const current = await request(voicePath(owner), { headers: owner.auth });
    const settings = await current.json<{ intake: Secrets }>();
    expect(settings.intake).toEqual(secrets);

    const hints = Object.fromEntries(Object.entries(secrets).map(([key, value]) => [key, `…${value.slice(-4)}`]));
    const resent = await request(
      voicePath(owner),
      jsonRequest(
        "PUT",
        { ownerPhone: "+15550106666", intake: hints },
        { ...owner.auth, "if-match": current.headers.get("etag") ?? "" },
      ),
    );
    expect(resent.status).toBe(200);
    expect((await resent.json<{ intake: Secrets }>()).intake).toEqual(secrets);
  });

  it("refuses: copying intake secrets into the audit log's DNA diff", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-audit");
    const audit = await request(`/api/v1/audit?entityId=${owner.projectId}`, { headers: owner.auth });
    const text = await audit.text();
    expect(text).toContain("dna.custom.update");
    expect(text).toContain(`…${secrets.googleKey.slice(-4)}`);
    expectNoSecret(text, secrets);
  });

  it("refuses: an admin's DNA preview showing a new secret in its diff", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-preview");
    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    await browser.open("/settings/dna");
    const fresh = `NEWFORMTOKEN${crypto.randomUUID().replaceAll("-", "")}`;
    const preview = await browser.post("/settings/dna", {
      intent: "preview",
      version: "1",
      custom: JSON.stringify({ modules: { speedToLead: { intake: { ...secrets, formToken: fresh } } } }),
    });
    const html = (await preview.text()).replace(/<!-- -->/g, "");
    // The textarea keeps what the admin typed; the diff shows hints.
    const start = html.indexOf('data-testid="dna-diff"');
    const diff = html.slice(start, html.indexOf("</section>", start));
    expect(diff).toContain("modules.speedToLead.intake.formToken");
    expect(diff).toContain(`…${fresh.slice(-4)}`);
    expect(diff).not.toContain(fresh);
    expectNoSecret(diff, secrets);
  });
});

describe("what the API keeps from a role, the pages keep too", () => {
  it("refuses: a viewer or member reading the owner's numbers on /settings/speed-to-lead (admin-only in the API)", async () => {
    const { owner } = await tenantWithSecrets("role-ui-numbers");
    for (const role of ["viewer", "member"] as const) {
      const browser = await browserWithRole(owner, role);
      const { html } = await browser.open("/settings/speed-to-lead");
      expect(html).toContain("role-notice");
      expect(html).not.toContain("+15550101234");
      expect(await (await browser.fetch("/settings/speed-to-lead.data")).text()).not.toContain("+15550101234");
    }
  });

  it("refuses: a member reading the AI provider's address and key hint on /settings/llm (admin-only in the API)", async () => {
    const owner = await signUpTenant("role-ui-llm");
    const saved = await request(
      "/api/v1/settings/llm",
      jsonRequest(
        "PUT",
        { provider: "openai", baseUrl: "http://127.0.0.1:9/v1", apiKey: "sk-test-abcdef" },
        owner.auth,
      ),
    );
    expect(saved.status).toBe(200);
    const member = await browserWithRole(owner, "member");
    const text = (await member.open("/settings/llm")).html + (await (await member.fetch("/settings/llm.data")).text());
    expect(text).not.toContain("127.0.0.1:9");
    expect(text).not.toContain("cdef");
  });

  it("refuses: a member reading a lead's audit trail (IPs, how callers were verified) on its page", async () => {
    const owner = await signUpTenant("role-ui-audit");
    const lead = await (
      await request(
        "/api/v1/entities",
        jsonRequest("POST", { projectId: owner.projectId, type: "lead", name: "Audited" }, owner.auth),
      )
    ).json<{ id: string }>();
    const member = await browserWithRole(owner, "member");
    const page = await member.open(`/leads/${lead.id}`);
    expect(page.response.status).toBe(200);
    expect(page.html).not.toContain("entity.create by");
    expect(await (await member.fetch(`/leads/${lead.id}.data`)).text()).not.toContain("entity.create");
  });
});
