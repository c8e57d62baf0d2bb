import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { setIntakeSecret } from "./intake-secrets";
import { jsonRequest, memberOf, signUpTenant, type TestTenant } from "./tenants";
import { deliverTwilioWebhooks, scriptPhone, simCalls, testPhone } from "./twilio";
import { WebBrowser } from "./web-browser";

/**
 * Issue #14 item 3: Settings → Lead sources. Per source the address it posts
 * to, its secret (shown once, then a hint), how to set it up — for the web
 * form a snippet to paste — and a test lead that goes through the real
 * intake and rings the owner. Admins only, as the secrets' routes are.
 */
const PAGE = "/settings/lead-sources";

/** The page's text as a reader sees it: React's comment markers gone, its entities decoded. */
const readable = (html: string) =>
  html
    .replace(/<!-- -->/g, "")
    .replaceAll("&quot;", '"')
    .replaceAll("&#x27;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");

const snippetOf = (html: string) => readable(/data-testid="form-snippet">([\s\S]*?)<\/pre>/.exec(html)?.[1] ?? "");

async function ownerBrowser(owner: TestTenant): Promise<WebBrowser> {
  const browser = new WebBrowser();
  expect((await browser.logIn(owner.email, owner.password)).status).toBe(302);
  return browser;
}

async function withPhones(owner: TestTenant): Promise<{ ownerPhone: string }> {
  const ownerPhone = testPhone();
  const path = `/api/v1/projects/${owner.projectId}/speed-to-lead-settings`;
  const current = await request(path, { headers: owner.auth });
  const saved = await request(
    path,
    jsonRequest(
      "PUT",
      { ownerPhone, trackingNumber: testPhone() },
      { ...owner.auth, "if-match": current.headers.get("etag") ?? "" },
    ),
  );
  expect(saved.status).toBe(200);
  return { ownerPhone };
}

describe("the lead sources page", () => {
  it("shows an admin each source's public address and a form snippet that waits for a rotation to carry the token", async () => {
    const owner = await signUpTenant("sources-page");
    const token = await setIntakeSecret(owner, "form");
    const { html } = await (await ownerBrowser(owner)).open(PAGE);
    const page = readable(html);
    for (const source of ["form", "wordpress", "google-ads"]) {
      expect(page).toContain(`${env.PUBLIC_BASE_URL}/webhooks/leads/${source}?project=${owner.projectId}`);
    }
    const snippet = snippetOf(html);
    expect(snippet).toContain(
      `<form method="post" action="${env.PUBLIC_BASE_URL}/webhooks/leads/form?project=${owner.projectId}&amp;token=ROTATE-TO-REVEAL">`,
    );
    expect(snippet).toContain('name="sms_consent"');
    expect(snippet).toContain("Reply STOP to opt out");
    expect(page).toContain(`…${token.slice(-4)}`);
    expect(html).not.toContain(token);
  });

  it("refuses a member: no address, hint or snippet on the page or in its data, and no rotation or test lead", async () => {
    const owner = await signUpTenant("sources-member");
    const token = await setIntakeSecret(owner, "form");
    const member = await memberOf(owner, "member");
    const browser = new WebBrowser();
    await browser.logIn(member.email, member.password);
    const { response, html } = await browser.open(PAGE);
    expect(response.status).toBe(200);
    expect(html).toContain("role-notice");
    const data = await (await browser.fetch(`${PAGE}.data`)).text();
    for (const text of [html, data]) {
      expect(text).not.toContain(`/webhooks/leads/form?project=`);
      expect(text).not.toContain(token.slice(-4));
    }
    expect((await browser.post(PAGE, { intent: "rotate-secret", source: "form" })).status).toBe(403);
    const test = await browser.post(PAGE, { intent: "test-lead", source: "form", attempt: crypto.randomUUID() });
    expect(test.status).toBe(403);
    const leads = await request(`/api/v1/entities?type=lead&projectId=${owner.projectId}`, { headers: owner.auth });
    expect((await leads.json<{ items: unknown[] }>()).items).toHaveLength(0);
  });

  it("rotating the form token shows it once, in the notice and the snippet; the next visit shows neither", async () => {
    const owner = await signUpTenant("sources-rotate");
    const browser = await ownerBrowser(owner);
    await browser.open(PAGE);
    const rotated = await browser.post(PAGE, { intent: "rotate-secret", source: "form" });
    expect(rotated.status).toBe(200);
    const html = await rotated.text();
    const shown = /data-testid="new-intake-secret">([^<]+)</.exec(html)?.[1] ?? "";
    expect(shown).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(snippetOf(html)).toContain(`&amp;token=${shown}"`);

    const again = await browser.open(PAGE);
    expect(again.html).not.toContain(shown);
    expect(snippetOf(again.html)).toContain("token=ROTATE-TO-REVEAL");
    expect(readable(again.html)).toContain(`…${shown.slice(-4)}`);
  });

  it("the snippet's form, sent from the owner's website, is taken in with the visitor's SMS consent", async () => {
    const owner = await signUpTenant("sources-snippet");
    const browser = await ownerBrowser(owner);
    await browser.open(PAGE);
    const html = await (await browser.post(PAGE, { intent: "rotate-secret", source: "form" })).text();
    const action = /action="([^"]+)"/.exec(snippetOf(html))?.[1]?.replaceAll("&amp;", "&") ?? "";
    const target = new URL(action);
    expect(target.origin).toBe(env.PUBLIC_BASE_URL);
    const sent = await request(`${target.pathname}${target.search}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" },
      body: new URLSearchParams({
        name: "Web Visitor",
        phone: testPhone(),
        message: "Hi",
        sms_consent: "yes",
      }).toString(),
    });
    expect(sent.status).toBe(200);
    const { leadId } = await sent.json<{ leadId: string }>();
    const lead = await (await request(`/api/v1/entities/${leadId}`, { headers: owner.auth })).json<{
      system: { consent?: { sms: boolean; field?: string } };
    }>();
    expect(lead.system.consent).toMatchObject({ sms: true, field: "sms_consent" });
  });

  it("a visitor's browser posting the snippet's form sees a thank-you page, not JSON", async () => {
    const owner = await signUpTenant("sources-thanks");
    const token = await setIntakeSecret(owner, "form");
    const visitorPhone = testPhone();
    const sent = await request(`/webhooks/leads/form?project=${owner.projectId}&token=${token}`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "sec-fetch-site": "cross-site",
      },
      body: new URLSearchParams({ name: "<b>Visitor</b>", phone: visitorPhone }).toString(),
    });
    expect(sent.status).toBe(200);
    expect(sent.headers.get("content-type")).toContain("text/html");
    const page = await sent.text();
    expect(page).toContain("Thank you!");
    expect(page).not.toContain("<b>Visitor</b>");
    expect(page).not.toContain("leadId");
    const leads = await (await request("/api/v1/entities?type=lead", { headers: owner.auth })).json<{
      items: { data: { phone?: string } }[];
    }>();
    expect(leads.items.some((lead) => lead.data.phone === visitorPhone)).toBe(true);
  });

  it("Send test lead takes a lead in through the form's intake, opens its page and rings the owner", async () => {
    const owner = await signUpTenant("sources-test-lead");
    const { ownerPhone } = await withPhones(owner);
    await setIntakeSecret(owner, "form");
    await scriptPhone(ownerPhone, { answer: "answer", press: null });
    const browser = await ownerBrowser(owner);
    const { html } = await browser.open(PAGE);
    const attempt = /name="attempt" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const sent = await browser.post(PAGE, { intent: "test-lead", source: "form", attempt });
    expect(sent.status).toBe(302);
    const leadId = /^\/leads\/([0-9a-f-]{36})$/.exec(sent.headers.get("location") ?? "")?.[1] ?? "";
    const lead = await (await request(`/api/v1/entities/${leadId}`, { headers: owner.auth })).json<{
      name: string;
      projectId: string;
      data: Record<string, unknown>;
      system: { intakes?: number };
    }>();
    expect(lead).toMatchObject({
      name: "Test Lead",
      projectId: owner.projectId,
      data: { source: "form", sourceLeadId: expect.stringMatching(/^apex-test-/), utm: { utm_medium: "test-lead" } },
      system: { intakes: 1 },
    });
    expect(String(lead.data.phone)).toMatch(/^\+121255501\d\d$/);
    expect((await browser.open(`/leads/${leadId}`)).html).toContain("Test Lead");

    await deliverTwilioWebhooks(owner.tenantId, async () =>
      (await simCalls()).some(
        (call) =>
          call.to === ownerPhone && call.steps.some((step) => step.startsWith("say:New lead from form: Test Lead")),
      ),
    );
  });

  it("Send test lead proves itself as each source does: WordPress in its header, Google Ads inside the body", async () => {
    const owner = await signUpTenant("sources-each");
    await setIntakeSecret(owner, "wordpress");
    await setIntakeSecret(owner, "google-ads");
    const browser = await ownerBrowser(owner);
    await browser.open(PAGE);
    // Two presses whose test customers differ: a test lead's phone is one of 100 fictional numbers
    // chosen by the press, and two random presses share one 1 time in 100 (then intake rightly makes one lead).
    const presses = {
      wordpress: "10000000-0000-4000-8000-000000000001",
      "google-ads": "20000000-0000-4000-8000-000000000002",
    };
    for (const source of ["wordpress", "google-ads"] as const) {
      const sent = await browser.post(PAGE, { intent: "test-lead", source, attempt: presses[source] });
      expect(sent.status).toBe(302);
      const leadId = sent.headers.get("location")?.replace("/leads/", "") ?? "";
      const lead = await (await request(`/api/v1/entities/${leadId}`, { headers: owner.auth })).json<{
        data: Record<string, unknown>;
      }>();
      expect(lead.data).toMatchObject({ source, sourceLeadId: expect.stringMatching(/^apex-test-/) });
      // Not Google's is_test: that lead would be stored and ring no one.
      expect(lead.data.test).toBeUndefined();
    }
  });

  it("sending the same test lead form twice is one lead", async () => {
    const owner = await signUpTenant("sources-twice");
    await setIntakeSecret(owner, "wordpress");
    const browser = await ownerBrowser(owner);
    await browser.open(PAGE);
    const attempt = crypto.randomUUID();
    const first = await browser.post(PAGE, { intent: "test-lead", source: "wordpress", attempt });
    const second = await browser.post(PAGE, { intent: "test-lead", source: "wordpress", attempt });
    expect(first.status).toBe(302);
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
  });

  it("refuses a test lead for a source without a secret, naming what to create", async () => {
    const owner = await signUpTenant("sources-no-secret");
    const browser = await ownerBrowser(owner);
    await browser.open(PAGE);
    const refused = await browser.post(PAGE, {
      intent: "test-lead",
      source: "google-ads",
      attempt: crypto.randomUUID(),
    });
    expect(refused.status).toBe(409);
    expect(readable(await refused.text())).toContain("The Google Ads key is not set");
  });
});
