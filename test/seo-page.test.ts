import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { request } from "./helpers";
import { jsonRequest, memberOf, signUpTenant, type TestTenant } from "./tenants";
import { WebBrowser } from "./web-browser";

/**
 * The Local SEO page (/seo) and a page's preview (/seo/pages/{id}): the
 * WordPress connection, "Run the pipeline", the latest run's stages, the
 * pages with their critic reports and WordPress records, Approve, and the
 * dashboard's card. The pipeline runs for real in the test pool: landmarks
 * from the Overpass simulator, pages to the real local WordPress.
 */
const PIPELINE_TIMEOUT = 150_000;

/** The page's text as a reader sees it: React's comment markers gone, its entities decoded. */
const readable = (html: string) =>
  html
    .replace(/<!-- -->/g, "")
    .replaceAll("&#x27;", "'")
    .replaceAll("&quot;", '"')
    .replaceAll("&amp;", "&");

async function signedIn(person: { email: string; password: string }): Promise<WebBrowser> {
  const browser = new WebBrowser();
  expect((await browser.logIn(person.email, person.password)).status).toBe(302);
  return browser;
}

/** A plumber with one service in two places: two pages. */
async function plumber(label: string): Promise<TestTenant> {
  const tenant = await signUpTenant(label);
  const dna = await request(
    `/api/v1/projects/${tenant.projectId}/dna/custom`,
    jsonRequest(
      "PUT",
      {
        identity: { businessName: `${label} Plumbing`, phone: "+15125550100" },
        brandBrain: {
          voice: "Straightforward and neighbourly",
          differentiators: ["Same-day visits across the north Austin suburbs", "We clean up before we leave"],
          insiderTips: ["Flush a tank water heater once a year to keep sediment down"],
          objections: [{ objection: "Can you come today?", answer: "Most days, yes: call before noon." }],
          forbiddenTopics: ["Politics"],
        },
        services: [
          {
            name: "Water heater repair",
            slug: "water-heater-repair",
            keywords: ["tankless water heater", "water heater leak"],
          },
        ],
        geoScope: { country: "US", cities: ["Austin", "Round Rock"], areas: [] },
        modules: { localSeo: { pagesPerRun: 10 } },
      },
      { ...tenant.auth, "if-match": '"0"' },
    ),
  );
  if (dna.status !== 200) throw new Error(`dna: ${dna.status} ${await dna.text()}`);
  return tenant;
}

const wordpressOf = async (tenant: TestTenant) =>
  (await request(`/api/v1/projects/${tenant.projectId}/wordpress`, { headers: tenant.auth })).json<{
    url: string;
    applicationPasswordHint: string;
  } | null>();

const connectForm = (url: string) => ({
  intent: "wordpress",
  url,
  username: env.WORDPRESS_TEST_USER,
  applicationPassword: env.WORDPRESS_TEST_PASSWORD,
});

/** The project's tickets of `task`, newest first, as the tenant's object holds them. */
const projectTickets = (tenant: TestTenant, task: string) =>
  env.TENANT.getByName(tenant.tenantId).listProjectTickets(task, tenant.projectId);

async function settled(tenant: TestTenant, task: string) {
  return vi.waitFor(
    async () => {
      const [latest] = await projectTickets(tenant, task);
      if (!latest || latest.status === "queued" || latest.status === "processing") {
        throw new Error(`${task} still ${latest?.status}: ${latest?.message}`);
      }
      return latest;
    },
    { timeout: PIPELINE_TIMEOUT - 30_000, interval: 500 },
  );
}

/**
 * Every `task` ticket made since `before` finished: an approval's publish and
 * the publish stage it opens are both `publish` tickets of the project.
 */
async function allSettled(tenant: TestTenant, task: string, before: Set<string>) {
  return vi.waitFor(
    async () => {
      const made = (await projectTickets(tenant, task)).filter((ticket) => !before.has(ticket.id));
      const open = made.filter((ticket) => ticket.status === "queued" || ticket.status === "processing");
      if (made.length === 0 || open.length > 0) throw new Error(`${task}: ${made.length} made, ${open.length} open`);
      return made;
    },
    { timeout: PIPELINE_TIMEOUT - 30_000, interval: 500 },
  );
}

const rows = (html: string, testId: string) =>
  [...html.matchAll(new RegExp(`<tr data-testid="${testId}"[^>]*>([\\s\\S]*?)</tr>`, "g"))].map((m) =>
    readable(m[0] ?? ""),
  );
const cell = (row: string, testId: string) => new RegExp(`data-testid="${testId}"[^>]*>([^<]*)<`).exec(row)?.[1];

describe("the Local SEO page", () => {
  it("shows an owner the WordPress form, Run the pipeline and empty tables, and is in the navigation", async () => {
    const owner = await signUpTenant("seo-page-view");
    const { response, html } = await (await signedIn(owner)).open("/seo");

    expect(response.status).toBe(200);
    const page = readable(html);
    expect(page).toContain("<h1>Local SEO</h1>");
    expect(page).toMatch(/<button[^>]*value="run"[^>]*>Run the pipeline<\/button>/);
    expect(page).toContain('data-testid="wordpress-none"');
    expect(page).toMatch(/<input[^>]*name="applicationPassword"[^>]*type="password"/);
    expect(page).toContain("No runs yet.");
    expect(page).toContain("No pages yet: run the pipeline.");
    expect(page).toMatch(/<a[^>]*href="\/seo"[^>]*>Local SEO<\/a>/);
  });

  it("refuses a WordPress address the outbound policy refuses, beside the address, and saves nothing", async () => {
    const owner = await signUpTenant("seo-page-refused");
    const browser = await signedIn(owner);
    await browser.open("/seo");

    // A private network address: never somewhere Apex calls on a tenant's word.
    const refused = await browser.post("/seo", connectForm("https://10.1.2.3/"));

    expect(refused.status).toBe(422);
    const page = readable(await refused.text());
    expect(page).toMatch(/<span id="url-error" class="error">[^<]+<\/span>/);
    // What was typed stays in the form, except the password.
    expect(page).toMatch(/<input name="url"[^>]*value="https:\/\/10.1.2.3\/"/);
    expect(page).toContain('data-testid="wordpress-error"');
    expect(page).not.toContain(env.WORDPRESS_TEST_PASSWORD);
    expect(await wordpressOf(owner)).toBeNull();
  });

  it("a viewer sees the pages but no form, no Run and no Approve, and cannot post", async () => {
    const owner = await signUpTenant("seo-page-viewer");
    const viewer = await memberOf(owner, "viewer");
    const browser = await signedIn(viewer);

    const { response, html } = await browser.open("/seo");

    expect(response.status).toBe(200);
    expect(html).toContain("<h1>Local SEO</h1>");
    expect(html).not.toContain("Run the pipeline</button>");
    expect(html).not.toContain('data-testid="page-approve"');
    expect(html).not.toContain('name="applicationPassword"');
    // The shell's log-out form still carries a token to post with.
    expect((await browser.post("/seo", { intent: "run" })).status).toBe(403);
    expect((await browser.post("/seo", connectForm(env.WORDPRESS_TEST_URL))).status).toBe(403);
    expect(await projectTickets(owner, "seo_pipeline")).toEqual([]);
    expect(await wordpressOf(owner)).toBeNull();
  });

  it(
    "connects WordPress, runs the pipeline from the button, shows every stage and page, previews a page in a sandbox, diffs its versions, and Approve publishes it",
    async () => {
      const owner = await plumber(`seo-page-${crypto.randomUUID().slice(0, 6)}`);
      const browser = await signedIn(owner);
      await browser.open("/seo");

      const connected = await browser.post("/seo", connectForm(env.WORDPRESS_TEST_URL));
      expect(connected.status).toBe(200);
      expect(readable(await connected.text())).toContain('data-testid="wordpress-notice">WordPress connected.<');
      const site = await wordpressOf(owner);
      expect(site?.url).toBe(env.WORDPRESS_TEST_URL.replace(/\/+$/, ""));
      expect(readable((await browser.open("/seo")).html)).toContain(
        `(Application Password ${site?.applicationPasswordHint})`,
      );

      const started = await browser.post("/seo", { intent: "run" });
      expect(started.status).toBe(302);
      expect(started.headers.get("location")).toBe("/seo");
      const run = await settled(owner, "seo_pipeline");
      expect(run.status, run.error ?? "").toBe("completed");

      const { html } = await browser.open("/seo");
      const stages = rows(html, "stage-row");
      expect(stages.map((row) => /data-stage="([^"]+)"/.exec(row)?.[1])).toEqual([
        "scout_anchors",
        "strategist_run",
        "write_pages",
        "critic_review",
        "librarian_link",
        "enhance_media",
        "publish",
        "analytics_audit",
      ]);
      for (const stage of stages) {
        expect(cell(stage, "stage-status")).toBe("completed");
        expect(cell(stage, "stage-progress")).toBe("100%");
      }
      const pages = rows(html, "page-row");
      expect(pages.map((row) => /data-slug="([^"]+)"/.exec(row)?.[1]).sort()).toEqual([
        "water-heater-repair-austin",
        "water-heater-repair-round-rock",
      ]);
      for (const row of pages) {
        expect(cell(row, "page-status")).toBe("draft");
        expect(cell(row, "page-critic")).toMatch(/^\d+ pass$/);
        expect(Number(cell(row, "page-links"))).toBeGreaterThan(0);
        expect(cell(row, "page-map")).toBe("yes");
        expect(row).toMatch(/data-testid="page-wordpress"><a href="[^"]+"[^>]*>draft<\/a>/);
        expect(row).toContain('data-testid="page-approve"');
      }
      const [first, second] = pages.map((row) => /data-page-id="([^"]+)"/.exec(row)?.[1] as string);
      expect(readable((await browser.open("/")).html)).toMatch(
        /data-testid="seo-card"><a[^>]*href="\/seo"[^>]*>Local SEO: 2 pages · 0 published · 2 waiting for approval</,
      );

      // The preview: the page's HTML in a frame that runs no script and has no origin, and the critic's report.
      const preview = await browser.open(`/seo/pages/${first}`);
      expect(preview.response.status).toBe(200);
      const iframe = /<iframe[^>]*>/.exec(preview.html)?.[0] ?? "";
      expect(iframe).toContain('sandbox=""');
      expect(iframe).toMatch(/srcDoc="&lt;!doctype html&gt;[^"]*&lt;h2/i);
      expect(iframe).not.toMatch(/allow-/);
      expect(preview.html).toContain('data-testid="critic-report"');
      // Since it was written only Apex's records changed (links, map, WordPress): the HTML diff says so.
      expect(readable(preview.html)).toMatch(/data-testid="version-diff-versions">Version \d+ → version \d+</);
      expect(preview.html).toContain('data-testid="version-diff-unchanged"');

      // A person edits the page's HTML: the diff shows the line removed and the line added, as text.
      const entity = await request(`/api/v1/entities/${first}`, { headers: owner.auth });
      const current = await entity.json<{ version: number; data: { html: string } }>();
      const firstLine = current.data.html.split("\n")[0] ?? "";
      const edited = await request(
        `/api/v1/entities/${first}`,
        jsonRequest(
          "PATCH",
          { data: { ...current.data, html: current.data.html.replace(firstLine, "<p>Call us <b>today</b></p>") } },
          { ...owner.auth, "if-match": `"${current.version}"` },
        ),
      );
      expect(edited.status).toBe(200);
      const diffed = readable((await browser.open(`/seo/pages/${first}`)).html);
      expect(diffed).toContain(
        `data-testid="version-diff-versions">Version ${current.version} → version ${current.version + 1}<`,
      );
      expect(diffed).toContain(`data-testid="diff-added">+ &lt;p&gt;Call us &lt;b&gt;today&lt;/b&gt;&lt;/p&gt;<`);
      expect(diffed).toMatch(/data-testid="diff-removed">- &lt;/);
      expect(diffed).not.toContain("<b>today</b>");

      // Approve starts a publish; once it ran, WordPress has the page live and the tables say so.
      const before = new Set((await projectTickets(owner, "publish")).map((ticket) => ticket.id));
      const approved = await browser.post("/seo", { intent: "approve", pageId: second as string });
      expect(approved.status).toBe(200);
      expect(readable(await approved.text())).toContain(
        'data-testid="seo-notice">Approved: it is being published to WordPress.<',
      );
      const publishes = await allSettled(owner, "publish", before);
      expect(publishes.map((ticket) => [ticket.status, ticket.error])).toEqual(
        publishes.map(() => ["completed", null]),
      );
      const after = await browser.open("/seo");
      const published = rows(after.html, "page-row").find((row) => row.includes(`data-page-id="${second}"`)) ?? "";
      expect(cell(published, "page-status")).toBe("published");
      expect(published).toMatch(/data-testid="page-wordpress"><a href="[^"]+"[^>]*>publish<\/a>/);
      expect(published).not.toContain('data-testid="page-approve"');
      expect(cell(rows(after.html, "page-row").find((row) => row !== published) ?? "", "page-status")).toBe("draft");
      expect(readable(after.html)).toContain('data-testid="publish-status">completed<');
      expect(readable((await browser.open("/")).html)).toContain(
        "Local SEO: 2 pages · 1 published · 1 waiting for approval<",
      );
    },
    PIPELINE_TIMEOUT,
  );
});
