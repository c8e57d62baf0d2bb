import { describe, expect, it } from "vitest";
import { request } from "../helpers";
import { setIntakeSecret } from "../intake-secrets";
import { apiKeyFor, jsonRequest, signUpTenant, type TestTenant } from "../tenants";
import { WebBrowser } from "../web-browser";

/**
 * Issue #11 item 4 and #13 item 4: the lead sources' secrets (what a form,
 * a WordPress site or Google Ads proves itself with) are sealed apart from
 * the DNA and admin-only, in the API and the web app alike. The secret is
 * shown once, when it is set; every later read, an admin's too, gets its
 * `…1234` hint, and lower roles not even that.
 */
interface Secrets {
  form: string;
  wordpress: string;
  "google-ads": string;
}

interface SecretView {
  source: string;
  hint: string | null;
  secret?: string;
}

const voicePath = (t: TestTenant) => `/api/v1/projects/${t.projectId}/voice-settings`;
const dnaPath = (t: TestTenant) => `/api/v1/projects/${t.projectId}/dna`;
const secretsPath = (t: TestTenant) => `/api/v1/projects/${t.projectId}/intake-secrets`;

async function tenantWithSecrets(label: string): Promise<{ owner: TestTenant; secrets: Secrets }> {
  const owner = await signUpTenant(label);
  const saved = await request(
    voicePath(owner),
    jsonRequest("PUT", { ownerPhone: "+15550101234" }, { ...owner.auth, "if-match": '"0"' }),
  );
  expect(saved.status).toBe(200);
  const tag = crypto.randomUUID().replaceAll("-", "");
  const secrets = {
    form: await setIntakeSecret(owner, "form"),
    wordpress: await setIntakeSecret(owner, "wordpress", `WPSECRET${tag}`),
    "google-ads": await setIntakeSecret(owner, "google-ads", `GKEY${tag}`),
  };
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

const hintOf = (secret: string) => `…${secret.slice(-4)}`;

describe("intake secrets by role", () => {
  it("refuses: an admin reading a secret after it was shown — the list gives hints only", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-admin-hints");
    const response = await request(secretsPath(owner), { headers: await apiKeyFor(owner, "admin") });
    expect(response.status).toBe(200);
    const text = await response.text();
    expectNoSecret(text, secrets);
    const { items } = JSON.parse(text) as { items: SecretView[] };
    expect(items.find((i) => i.source === "form")?.hint).toBe(hintOf(secrets.form));
    expect(items.every((i) => i.secret === undefined)).toBe(true);
  });

  it("refuses: a member or viewer listing, rotating or removing intake secrets — 403, not even a hint", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-lower-roles");
    for (const role of ["member", "viewer"] as const) {
      const caller = await apiKeyFor(owner, role);
      const list = await request(secretsPath(owner), { headers: caller });
      expect(list.status).toBe(403);
      expect(await list.text()).not.toContain(hintOf(secrets.form));
      const rotate = await request(`${secretsPath(owner)}/form/rotate`, jsonRequest("POST", {}, caller));
      expect(rotate.status).toBe(403);
      const remove = await request(`${secretsPath(owner)}/form`, { method: "DELETE", headers: caller });
      expect(remove.status).toBe(403);
    }
    // Nothing changed: the form still takes leads with its secret.
    const lead = await request(
      `/webhooks/leads/form?project=${owner.projectId}&token=${secrets.form}`,
      jsonRequest("POST", { name: "Still Works", phone: "+15550107777" }, {}),
    );
    expect(lead.status).toBe(200);
  });

  it("refuses: a member finding intake secrets in GET /dna (merged or any layer) or GET /voice-settings", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-member-dna");
    const member = await apiKeyFor(owner, "member");
    const merged = await request(dnaPath(owner), { headers: member });
    expect(merged.status).toBe(200);
    const text = await merged.text();
    expectNoSecret(text, secrets);
    expect(text).not.toContain('"intake"');
    for (const layer of ["defaults", "generated", "custom"]) {
      expectNoSecret(await (await request(`${dnaPath(owner)}?layer=${layer}`, { headers: member })).text(), secrets);
    }
    const voice = await request(voicePath(owner), { headers: member });
    expect(voice.status).toBe(403);
    expectNoSecret(await voice.text(), secrets);
  });

  it("refuses: a viewer finding intake secrets in the HTML of /settings/speed-to-lead, /settings/lead-sources and /settings/dna", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-viewer-ui");
    const viewer = await browserWithRole(owner, "viewer");
    for (const page of ["/settings/speed-to-lead", "/settings/lead-sources", "/settings/dna"]) {
      const { response, html } = await viewer.open(page);
      expect(response.status).toBe(200);
      expectNoSecret(html, secrets);
      expect(html).not.toContain(hintOf(secrets.form));
      // The page's data travels through the single-fetch endpoint too.
      expectNoSecret(await (await viewer.fetch(`${page}.data`)).text(), secrets);
    }
  });

  it("an admin's settings page shows each source's hint, and a rotated secret once", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-admin-page");
    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    const page = await browser.open("/settings/lead-sources");
    expect(page.html).toContain(hintOf(secrets.wordpress));
    expectNoSecret(page.html, secrets);
    expectNoSecret(await (await browser.fetch("/settings/lead-sources.data")).text(), secrets);

    const rotated = await browser.post("/settings/lead-sources", { intent: "rotate-secret", source: "form" });
    expect(rotated.status).toBe(200);
    const html = (await rotated.text()).replace(/<!-- -->/g, "");
    const shown = /data-testid="new-intake-secret">([^<]+)</.exec(html)?.[1];
    expect(shown).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const again = await browser.open("/settings/lead-sources");
    expect(again.html).not.toContain(shown);
    expect(again.html).toContain(hintOf(shown ?? ""));
  });

  it("refuses: writing intake secrets into the DNA — a 422 naming modules.speedToLead.intake, nothing saved", async () => {
    const { owner } = await tenantWithSecrets("sec-dna-write");
    const planted = `PLANTED${crypto.randomUUID().replaceAll("-", "")}`;
    const current = await request(voicePath(owner), { headers: owner.auth });
    const etag = current.headers.get("etag") ?? "";
    const viaSettings = await request(
      voicePath(owner),
      jsonRequest(
        "PUT",
        { ownerPhone: "+15550106666", intake: { formToken: planted } },
        { ...owner.auth, "if-match": etag },
      ),
    );
    expect(viaSettings.status).toBe(422);
    expect((await viaSettings.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe(
      "modules.speedToLead.intake",
    );
    const viaDna = await request(
      `${dnaPath(owner)}/custom`,
      jsonRequest(
        "PUT",
        { modules: { speedToLead: { intake: { formToken: planted } } } },
        {
          ...owner.auth,
          "if-match": etag,
        },
      ),
    );
    expect(viaDna.status).toBe(422);
    expect((await request(voicePath(owner), { headers: owner.auth })).headers.get("etag")).toBe(etag);
    expect(await (await request(`${dnaPath(owner)}?layer=custom`, { headers: owner.auth })).text()).not.toContain(
      planted,
    );
  });

  it("refuses: the DNA preview showing a secret typed into the editor — it names the field instead", async () => {
    const { owner } = await tenantWithSecrets("sec-preview");
    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    await browser.open("/settings/dna");
    const fresh = `NEWFORMTOKEN${crypto.randomUUID().replaceAll("-", "")}`;
    const preview = await browser.post("/settings/dna", {
      intent: "preview",
      version: "1",
      custom: JSON.stringify({ modules: { speedToLead: { intake: { formToken: fresh } } } }),
    });
    const html = (await preview.text()).replace(/<!-- -->/g, "");
    expect(html).toContain("modules.speedToLead.intake");
    expect(html).not.toContain('data-testid="dna-diff"');
  });

  it("saving the speed-to-lead form keeps every source's secret working", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-keep");
    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    await browser.open("/settings/speed-to-lead");
    const saved = await browser.post("/settings/speed-to-lead", { version: "1", ownerPhone: "+15550105555" });
    expect(saved.status).toBe(200);
    const lead = await request(
      `/webhooks/leads/wordpress?project=${owner.projectId}`,
      jsonRequest("POST", { name: "Kept", phone: "+15550108888" }, { "x-apex-secret": secrets.wordpress }),
    );
    expect(lead.status).toBe(200);
  });

  it("refuses: copying an intake secret into the audit log — the rotation is recorded by its hint", async () => {
    const { owner, secrets } = await tenantWithSecrets("sec-audit");
    const audit = await request(`/api/v1/audit?entityId=${owner.projectId}`, { headers: owner.auth });
    const text = await audit.text();
    expect(text).toContain("intake_secret.rotate");
    expect(text).toContain(hintOf(secrets["google-ads"]));
    expectNoSecret(text, secrets);
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
