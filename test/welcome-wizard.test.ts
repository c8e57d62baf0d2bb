import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { request } from "./helpers";
import { jsonRequest, memberOf, signUpTenant, type TestTenant } from "./tenants";
import { WebBrowser } from "./web-browser";

/**
 * The welcome wizard (routes/_app.welcome.tsx): first run after sign-up, and
 * reopened from Settings. Name and website start the onboarding task with
 * live progress; the owner reviews services, places and hours into the DNA's
 * custom layer; then the phones. It works with no model key: the rules draft
 * what the site states and say what they could not find.
 */
const SITE = `${env.WEBHOOK_RECEIVER_URL}/sites/pats-plumbing`;

/** The page's text as a reader sees it: React's comment markers gone, its entities decoded. */
const readable = (html: string) =>
  html
    .replace(/<!-- -->/g, "")
    .replaceAll("&quot;", '"')
    .replaceAll("&#x27;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");

const textarea = (html: string, name: string) =>
  readable(new RegExp(`<textarea[^>]*name="${name}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html)?.[1] ?? "");

async function ownerBrowser(owner: TestTenant): Promise<WebBrowser> {
  const browser = new WebBrowser();
  expect((await browser.logIn(owner.email, owner.password)).status).toBe(302);
  return browser;
}

async function rulesTenant(label: string): Promise<TestTenant> {
  const owner = await signUpTenant(label);
  const saved = await request("/api/v1/settings/llm", jsonRequest("PUT", { provider: "rules" }, owner.auth));
  expect(saved.status).toBe(200);
  return owner;
}

/** Posts step 1 and returns the ticket the redirect names. */
async function startDraft(browser: WebBrowser, fields: Record<string, string>): Promise<string> {
  await browser.open("/welcome");
  const started = await browser.post("/welcome", { intent: "start", ...fields });
  expect(started.status).toBe(302);
  const location = started.headers.get("location") ?? "";
  expect(location).toMatch(/^\/welcome\?step=review&ticket=[0-9a-f-]{36}$/);
  return new URL(location, "http://apex.test").searchParams.get("ticket") ?? "";
}

interface TicketView {
  status: string;
  result: Record<string, unknown> | null;
  error: string | null;
}

async function settled(owner: TestTenant, id: string): Promise<TicketView> {
  return vi.waitFor(
    async () => {
      const ticket = await (await request(`/api/v1/tickets/${id}`, { headers: owner.auth })).json<TicketView>();
      if (ticket.status === "queued" || ticket.status === "processing") throw new Error(ticket.status);
      return ticket;
    },
    { timeout: 20_000, interval: 100 },
  );
}

async function dnaOf(owner: TestTenant, layer?: "custom" | "generated") {
  const response = await request(`/api/v1/projects/${owner.projectId}/dna${layer ? `?layer=${layer}` : ""}`, {
    headers: owner.auth,
  });
  return response.json<{
    dna: {
      services: { name: string; slug: string }[];
      geoScope: { cities: string[]; areas: string[] };
      modules: { speedToLead: Record<string, unknown> };
    };
    versions: { generated: number; custom: number };
  }>();
}

const speedToLead = async (owner: TestTenant) =>
  (await request(`/api/v1/projects/${owner.projectId}/speed-to-lead-settings`, { headers: owner.auth })).json<{
    ownerPhone?: string;
    backupPhones: string[];
  }>();

describe("the welcome wizard", () => {
  it("signing up in the browser lands on the wizard, with the business's name filled in", async () => {
    const browser = new WebBrowser();
    await browser.open("/signup");
    const signedUp = await browser.post("/signup", {
      name: "Pat",
      tenantName: "Pat's Plumbing",
      email: `welcome-${crypto.randomUUID()}@example.com`,
      password: "a long enough password",
    });
    expect(signedUp.status).toBe(302);
    expect(signedUp.headers.get("location")).toBe("/welcome");
    const { response, html } = await browser.open("/welcome");
    expect(response.status).toBe(200);
    expect(readable(html)).toMatch(/name="businessName"[^>]*value="Pat's Plumbing"/);
    expect(html).toContain('name="websiteUrl"');
  });

  it("submitting the name and website starts the onboarding ticket, and the page shows its progress", async () => {
    const owner = await signUpTenant("welcome-start");
    const browser = await ownerBrowser(owner);
    const id = await startDraft(browser, { businessName: "Pat's Plumbing", websiteUrl: SITE });
    const { html: running } = await browser.open(`/welcome?step=review&ticket=${id}`);
    expect(running).toContain('data-testid="draft-progress"');
    expect(running).toContain('role="progressbar"');
    const done = await settled(owner, id);
    expect(done).toMatchObject({ status: "completed", result: { provider: "gemini", drafter: "model" } });
    // The progress went out on the live channel the page listens to.
    const events = await (
      await request(`/api/v1/realtime/poll?channels=ticket:${id}&cursor=0`, { headers: owner.auth })
    ).json<{ events: { data: { message?: string } }[] }>();
    expect(events.events.some((e) => e.data.message === `reading ${SITE}`)).toBe(true);
    const { html } = await browser.open(`/welcome?step=review&ticket=${id}`);
    expect(html).toMatch(/data-status="completed"/);
    expect(html).toContain('aria-valuenow="100"');
    expect(html).toContain('name="services"');
  });

  it("with the rules provider, the draft fills the services, places and hours on the site and lists what it could not find", async () => {
    const owner = await rulesTenant("welcome-rules");
    const browser = await ownerBrowser(owner);
    const id = await startDraft(browser, { businessName: "Pat's Plumbing", websiteUrl: SITE });
    const done = await settled(owner, id);
    expect(done.error).toBeNull();
    expect(done.result).toMatchObject({ provider: "rules", drafter: "rules", phones: ["+15550100001"] });
    const { html } = await browser.open(`/welcome?step=review&ticket=${id}`);
    expect(textarea(html, "services")).toBe("Burst pipe repair\nBlocked drains\nHot water cylinders");
    expect(textarea(html, "cities")).toBe("Springfield\nShelbyville");
    expect(readable(html)).toContain("Your website says “24/7”.");
    expect(readable(html)).toContain("No AI model is configured");
    const notFound = readable(/data-testid="not-found">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? "");
    expect(notFound).toContain("no email address on the site");
    expect(notFound).toContain("no postal codes on the site");
    expect(notFound).not.toContain("no phone number");
    expect(notFound).not.toContain("no services");
    const generated = await dnaOf(owner);
    expect(generated.versions.generated).toBe(1);
    expect(generated.dna.services.map((s) => s.slug)).toEqual([
      "burst-pipe-repair",
      "blocked-drains",
      "hot-water-cylinders",
    ]);
  });

  it("at the spend cap, onboarding drafts by rules instead of refusing, says why, and spends nothing", async () => {
    const owner = await signUpTenant("welcome-cap");
    await request(
      `/api/v1/projects/${owner.projectId}/spend-cap`,
      jsonRequest("PUT", { monthlyCapUsd: 0.01 }, owner.auth),
    );
    await request(
      "/api/v1/tasks/log_usage",
      jsonRequest(
        "POST",
        { params: { projectId: owner.projectId, resource: "voice_minute", quantity: 1 } },
        owner.auth,
      ),
    );
    const usage = async () =>
      (await request(`/api/v1/projects/${owner.projectId}/usage`, { headers: owner.auth })).json<{
        spentUsd: number;
      }>();
    const before = await usage();
    const browser = await ownerBrowser(owner);
    const id = await startDraft(browser, { businessName: "Pat's Plumbing", websiteUrl: SITE });
    const done = await settled(owner, id);
    expect(done.result).toMatchObject({ provider: "rules", shed: { reason: "spend-cap" } });
    const { html } = await browser.open(`/welcome?step=review&ticket=${id}`);
    expect(readable(html)).toContain("Drafted by the free rule-based drafter instead.");
    expect(await usage()).toEqual(before);
  });

  it("when the model cannot be reached, onboarding drafts by rules and says so", async () => {
    const owner = await signUpTenant("welcome-unreachable");
    // An OpenAI-compatible endpoint on a port nothing listens on (loopback is allowed in tests).
    const saved = await request(
      "/api/v1/settings/llm",
      jsonRequest(
        "PUT",
        { provider: "openai", baseUrl: `http://${env.DEAD_WS_PROXY}/v1`, apiKey: "sk-0123456789" },
        owner.auth,
      ),
    );
    expect(saved.status).toBe(200);
    const browser = await ownerBrowser(owner);
    const id = await startDraft(browser, { businessName: "Pat's Plumbing", websiteUrl: SITE });
    const done = await settled(owner, id);
    expect(done.result).toMatchObject({ provider: "rules", drafter: "rules" });
    const { html } = await browser.open(`/welcome?step=review&ticket=${id}`);
    expect(readable(html)).toContain("The AI model could not be reached: drafted by rules from the website.");
    expect(textarea(html, "services")).toContain("Burst pipe repair");
  });

  it("saving the review writes services, places and hours into the DNA's custom layer, then asks for phones", async () => {
    const owner = await signUpTenant("welcome-review");
    const browser = await ownerBrowser(owner);
    await browser.open("/welcome?step=review");
    const saved = await browser.post("/welcome?step=review", {
      intent: "review",
      version: "0",
      services: "Burst pipe repair\nBlocked drains",
      cities: "Springfield\nShelbyville",
      areas: "62701, 62702",
      timezone: "America/Chicago",
      "mon-from": "08:00",
      "mon-to": "18:00",
      "sat-from": "09:00",
      "sat-to": "13:00",
    });
    expect(saved.status).toBe(302);
    expect(saved.headers.get("location")).toBe("/welcome?step=phones");
    const { dna, versions } = await dnaOf(owner);
    expect(versions.custom).toBe(1);
    expect(dna.services).toEqual([
      { name: "Burst pipe repair", slug: "burst-pipe-repair", keywords: ["burst pipe repair"] },
      { name: "Blocked drains", slug: "blocked-drains", keywords: ["blocked drains"] },
    ]);
    expect(dna.geoScope).toMatchObject({ cities: ["Springfield", "Shelbyville"], areas: ["62701", "62702"] });
    expect(dna.modules.speedToLead).toMatchObject({
      timezone: "America/Chicago",
      businessHours: { mon: [["08:00", "18:00"]], tue: [], sat: [["09:00", "13:00"]], sun: [] },
    });
  });

  it("the phones step saves the owner's cell and backup phones and finishes on the dashboard", async () => {
    const owner = await signUpTenant("welcome-phones");
    const browser = await ownerBrowser(owner);
    const { html } = await browser.open("/welcome?step=phones");
    expect(html).toContain('href="/settings/lead-sources"');
    expect(html).toContain('href="/settings/phone-numbers"');
    const saved = await browser.post("/welcome?step=phones", {
      intent: "phones",
      version: "0",
      ownerPhone: "(555) 010-6101",
      backupPhones: "+15550106102\n+1 555 010 6103",
    });
    expect(saved.status).toBe(302);
    expect(saved.headers.get("location")).toBe("/");
    expect(await speedToLead(owner)).toMatchObject({
      ownerPhone: "+15550106101",
      backupPhones: ["+15550106102", "+15550106103"],
    });
  });

  it("a backup phone that is not a phone is named by its field, and neither phone is saved", async () => {
    const owner = await signUpTenant("welcome-bad-phone");
    const browser = await ownerBrowser(owner);
    await browser.open("/welcome?step=phones");
    const refused = await browser.post("/welcome?step=phones", {
      intent: "phones",
      version: "0",
      ownerPhone: "+15550106201",
      backupPhones: "call my cousin",
    });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('id="backupPhones-error"');
    const settings = await speedToLead(owner);
    expect(settings.ownerPhone).toBeUndefined();
    expect(settings.backupPhones).toEqual([]);
  });

  it("a website the URL policy refuses is named by its field, and no task starts", async () => {
    const owner = await signUpTenant("welcome-bad-site");
    const browser = await ownerBrowser(owner);
    await browser.open("/welcome");
    const refused = await browser.post("/welcome", {
      intent: "start",
      businessName: "Pat's Plumbing",
      websiteUrl: "http://169.254.169.254/latest/meta-data/",
    });
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toContain('id="websiteUrl-error"');
    expect(html).toContain("must be a public host");
    const tickets = await (await request("/api/v1/tickets", { headers: owner.auth })).json<{
      items?: { task: string }[];
    }>();
    expect((tickets.items ?? []).filter((t) => t.task === "onboarding")).toEqual([]);
    expect((await dnaOf(owner)).versions).toEqual({ generated: 0, custom: 0 });
  });

  it("a review with a bad time zone or a day that closes before it opens is refused by field, and nothing is written", async () => {
    const owner = await signUpTenant("welcome-bad-review");
    const browser = await ownerBrowser(owner);
    await browser.open("/welcome?step=review");
    const review = { intent: "review", version: "0", services: "Blocked drains", cities: "Springfield" };
    const badDay = await browser.post("/welcome?step=review", { ...review, "mon-from": "18:00", "mon-to": "08:00" });
    expect(badDay.status).toBe(422);
    const refusedPage = await badDay.text();
    expect(refusedPage).toContain('id="mon-from-error"');
    // What was typed is shown again, not lost.
    expect(textarea(refusedPage, "services")).toBe("Blocked drains");
    const badZone = await browser.post("/welcome?step=review", {
      ...review,
      timezone: "Mars/Olympus_Mons",
      alwaysOpen: "on",
    });
    expect(badZone.status).toBe(422);
    expect(await badZone.text()).toContain('id="timezone-error"');
    const { dna, versions } = await dnaOf(owner);
    expect(versions.custom).toBe(0);
    expect(dna.services).toEqual([]);
    expect(dna.geoScope.cities).toEqual([]);
  });

  it("can be reopened from Settings, showing what was saved", async () => {
    const owner = await rulesTenant("welcome-reopen");
    const browser = await ownerBrowser(owner);
    const id = await startDraft(browser, { businessName: "Pat's Plumbing", websiteUrl: SITE });
    await settled(owner, id);
    await browser.post("/welcome?step=phones", {
      intent: "phones",
      version: "0",
      ownerPhone: "+15550106301",
      backupPhones: "",
    });
    const { html: settings } = await browser.open("/settings");
    expect(settings).toMatch(/<a[^>]*href="\/welcome"[^>]*>Run setup again<\/a>/);
    const { html: first } = await browser.open("/welcome");
    expect(readable(first)).toMatch(/name="businessName"[^>]*value="Pat's Plumbing"/);
    expect(readable(first)).toContain(`value="${SITE}"`);
    const { html: phones } = await browser.open("/welcome?step=phones");
    expect(phones).toMatch(/name="ownerPhone"[^>]*value="\+15550106301"/);
  });

  it("a member is shown a notice, not the wizard, and cannot start onboarding", async () => {
    const owner = await signUpTenant("welcome-member");
    const member = await memberOf(owner, "member");
    const browser = new WebBrowser();
    await browser.logIn(member.email, member.password);
    const { html } = await browser.open("/welcome");
    expect(html).toContain('data-testid="role-notice"');
    expect(html).not.toContain('name="businessName"');
    const refused = await browser.post("/welcome", { intent: "start", businessName: "Hijack Co", websiteUrl: SITE });
    expect(refused.status).toBe(403);
    expect((await dnaOf(owner)).versions.generated).toBe(0);
  });
});
