import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { request } from "./helpers";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";

/**
 * Programmatic SEO (#17), end to end in the test pool: landmarks from the
 * Overpass simulator, pages written from the DNA and reviewed, linked, given
 * a map, and published as drafts to a REAL WordPress (dev/wordpress.ts);
 * approval publishes; a re-run changes nothing; a stage that fails fails
 * alone and its retry resumes there.
 */
const PIPELINE_TIMEOUT = 150_000;

interface Ticket {
  id: string;
  task: string;
  status: string;
  error: string | null;
  result: unknown;
}
interface SeoPage {
  id: string;
  slug: string;
  status: string;
  critic: { pass: boolean; score: number } | null;
  links: { slug: string }[];
  map: { altText: string } | null;
  wordpress: { id: number; link: string; slug: string; status: string; contentHash: string; at: string } | null;
  analytics: { impressions: number; clicks: number; queries: { query: string }[] } | null;
  proposal: { title: string; reason: string } | null;
}

const wp = (path: string, init: RequestInit = {}) =>
  fetch(`${env.WORDPRESS_TEST_URL}/?rest_route=${path}`, {
    ...init,
    headers: {
      authorization: `Basic ${btoa(`${env.WORDPRESS_TEST_USER}:${env.WORDPRESS_TEST_PASSWORD}`)}`,
      "content-type": "application/json",
      ...(init.headers as Record<string, string> | undefined),
    },
  });

const plumberDna = (label: string) => ({
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
    { name: "Drain cleaning", slug: "drain-cleaning", keywords: ["clogged drain", "sewer line"] },
  ],
  geoScope: { country: "US", cities: ["Austin", "Round Rock", "Cedar Park"], areas: [] },
  modules: { localSeo: { pagesPerRun: 10 } },
});

const putDna = (tenant: TestTenant, dna: unknown, version: number) =>
  request(
    `/api/v1/projects/${tenant.projectId}/dna/custom`,
    jsonRequest("PUT", dna, { ...tenant.auth, "if-match": `"${version}"` }),
  );

async function plumber(label: string): Promise<TestTenant> {
  const tenant = await signUpTenant(label);
  const dna = await putDna(tenant, plumberDna(label), 0);
  if (dna.status !== 200) throw new Error(`dna: ${dna.status} ${await dna.text()}`);
  return tenant;
}

async function connectWordPress(tenant: TestTenant, url = env.WORDPRESS_TEST_URL) {
  const saved = await request(
    `/api/v1/projects/${tenant.projectId}/wordpress`,
    jsonRequest(
      "PUT",
      { url, username: env.WORDPRESS_TEST_USER, applicationPassword: env.WORDPRESS_TEST_PASSWORD },
      tenant.auth,
    ),
  );
  if (saved.status !== 200) throw new Error(`wordpress: ${saved.status} ${await saved.text()}`);
}

const ticket = async (tenant: TestTenant, id: string) =>
  (await request(`/api/v1/tickets/${id}`, { headers: tenant.auth })).json<Ticket>();

const settled = (tenant: TestTenant, id: string) =>
  vi.waitFor(
    async () => {
      const now = await ticket(tenant, id);
      if (now.status === "queued" || now.status === "processing") throw new Error(`still ${now.status}`);
      return now;
    },
    { timeout: PIPELINE_TIMEOUT - 20_000, interval: 500 },
  );

async function runPipeline(tenant: TestTenant): Promise<Ticket> {
  const started = await request(
    "/api/v1/tasks/seo_pipeline",
    jsonRequest("POST", { params: { projectId: tenant.projectId } }, tenant.auth),
  );
  expect(started.status).toBe(202);
  return settled(tenant, (await started.json<{ id: string }>()).id);
}

const pages = async (tenant: TestTenant) =>
  (
    await (
      await request(`/api/v1/projects/${tenant.projectId}/seo`, { headers: tenant.auth })
    ).json<{ pages: SeoPage[] }>()
  ).pages;

describe("the pSEO pipeline", () => {
  it(
    "writes a page per service and place, reviews and links them, and puts them in WordPress as drafts with JSON-LD and a map",
    async () => {
      const tenant = await plumber(`seo-${crypto.randomUUID().slice(0, 6)}`);
      await connectWordPress(tenant);
      const run = await runPipeline(tenant);
      expect(run.status, run.error ?? "").toBe("completed");
      // One ticket per stage under the run's, and one per page under a stage that works page by page.
      const tenantObject = env.TENANT.getByName(tenant.tenantId);
      const stages = await tenantObject.stageTickets(run.id);
      expect(stages.map((stage) => stage.task)).toEqual([
        "scout_anchors",
        "strategist_run",
        "write_pages",
        "critic_review",
        "librarian_link",
        "enhance_media",
        "publish",
        "analytics_audit",
      ]);
      const writing = stages.find((stage) => stage.task === "write_pages");
      expect(await tenantObject.stageTickets(writing?.id as string)).toHaveLength(6);
      const made = await pages(tenant);
      expect(made.map((p) => p.slug).sort()).toEqual([
        "drain-cleaning-austin",
        "drain-cleaning-cedar-park",
        "drain-cleaning-round-rock",
        "water-heater-repair-austin",
        "water-heater-repair-cedar-park",
        "water-heater-repair-round-rock",
      ]);
      for (const page of made) {
        expect(page.status).toBe("draft");
        expect(page.critic?.pass).toBe(true);
        expect(page.links.length).toBeGreaterThan(0);
        expect(page.map?.altText).toBeTruthy();
        const inWordPress = await (await wp(`/wp/v2/pages/${page.wordpress?.id}&context=edit`)).json<{
          status: string;
          content: { raw: string };
        }>();
        expect(inWordPress.status).toBe("draft");
        expect(inWordPress.content.raw).toContain('<script type="application/ld+json">');
        expect(inWordPress.content.raw).toContain('class="apex-related"');
        expect(inWordPress.content.raw).toMatch(/<img src="[^"]+\.png"/);
      }
    },
    PIPELINE_TIMEOUT,
  );

  it(
    "publishes a page once it is approved, and a second run changes nothing in WordPress",
    async () => {
      const tenant = await plumber(`seo-approve-${crypto.randomUUID().slice(0, 6)}`);
      await connectWordPress(tenant);
      expect((await runPipeline(tenant)).status).toBe("completed");
      const [first] = await pages(tenant);
      const approved = await request(`/api/v1/seo-pages/${first?.id}/approve`, {
        method: "POST",
        headers: tenant.auth,
      });
      const { ticketId } = await approved.json<{ ticketId: string }>();
      expect((await settled(tenant, ticketId)).status).toBe("completed");
      const published = (await pages(tenant)).find((p) => p.id === first?.id);
      expect(published?.status).toBe("published");
      const live = await (await wp(`/wp/v2/pages/${published?.wordpress?.id}&context=edit`)).json<{ status: string }>();
      expect(live.status).toBe("publish");

      const before = await pages(tenant);
      expect((await runPipeline(tenant)).status).toBe("completed");
      const after = await pages(tenant);
      // Same WordPress ids, same content hashes, not written again.
      expect(after.map((p) => [p.slug, p.wordpress?.id, p.wordpress?.contentHash, p.wordpress?.at])).toEqual(
        before.map((p) => [p.slug, p.wordpress?.id, p.wordpress?.contentHash, p.wordpress?.at]),
      );

      // A DNA change rewrites the pages and updates them in WordPress, under the same ids.
      const label = String(
        (
          await (
            await request(`/api/v1/projects/${tenant.projectId}/dna`, { headers: tenant.auth })
          ).json<{ dna: { identity: { businessName: string } } }>()
        ).dna.identity.businessName,
      ).replace(/ Plumbing$/, "");
      const changed = plumberDna(label);
      changed.brandBrain.insiderTips.push("Pour a kettle of hot water down a slow kitchen drain each week");
      expect((await putDna(tenant, changed, 1)).status).toBe(200);
      expect((await runPipeline(tenant)).status).toBe("completed");
      const rewritten = await pages(tenant);
      expect(rewritten.map((p) => [p.slug, p.wordpress?.id])).toEqual(before.map((p) => [p.slug, p.wordpress?.id]));
      const drain = (slug: string, list: SeoPage[]) => list.find((p) => p.slug === slug)?.wordpress?.contentHash;
      expect(drain("drain-cleaning-austin", rewritten)).not.toBe(drain("drain-cleaning-austin", before));
    },
    PIPELINE_TIMEOUT,
  );

  it(
    "fails only the publish stage when WordPress is down, and its retry resumes there without duplicating a page",
    async () => {
      const tenant = await plumber(`seo-down-${crypto.randomUUID().slice(0, 6)}`);
      // A port nothing answers on: the site is down.
      await connectWordPress(tenant, `http://${env.DEAD_WS_PROXY}`);
      const run = await runPipeline(tenant);
      expect(run.status).toBe("failed");
      const stages = await env.TENANT.getByName(tenant.tenantId).stageTickets(run.id);
      const byTask = Object.fromEntries(stages.map((s) => [s.task, s.status]));
      expect(byTask).toMatchObject({
        scout_anchors: "completed",
        strategist_run: "completed",
        write_pages: "completed",
        critic_review: "completed",
        librarian_link: "completed",
        enhance_media: "completed",
        publish: "failed",
      });
      const publish = stages.find((s) => s.task === "publish");
      expect(publish?.error).toMatch(/WordPress/);

      await connectWordPress(tenant);
      const retried = await request(`/api/v1/tickets/${publish?.id}/retry`, { method: "POST", headers: tenant.auth });
      expect(retried.status).toBe(200);
      expect((await settled(tenant, publish?.id as string)).status).toBe("completed");
      const made = await pages(tenant);
      expect(made.every((p) => p.status === "draft")).toBe(true);
      for (const page of made) {
        const found = await (await wp(`/wp/v2/pages&slug=${page.wordpress?.slug}&status=any&context=edit`)).json<
          unknown[]
        >();
        expect(found).toHaveLength(1);
      }
    },
    PIPELINE_TIMEOUT,
  );

  it(
    "reads the pages' search performance, proposes a rewrite for a page seen but rarely clicked, and feeds its queries to the next strategist run",
    async () => {
      const tenant = await plumber(`seo-gsc-${crypto.randomUUID().slice(0, 6)}`);
      await connectWordPress(tenant);
      const property = `${env.WORDPRESS_TEST_URL}/`;
      const connected = await request(
        `/api/v1/projects/${tenant.projectId}/search-console`,
        jsonRequest("PUT", { property, accessToken: "dev-gsc-token" }, tenant.auth),
      );
      expect(connected.status).toBe(200);
      // The property exists in Search Console, with no numbers yet.
      const registerPages = (pagesOfSite: unknown[]) =>
        fetch(`${env.SEARCH_CONSOLE_SIMULATOR_URL}/_sim/sites/${encodeURIComponent(property)}/pages`, {
          method: "PUT",
          body: JSON.stringify(pagesOfSite),
        });
      expect((await registerPages([])).status).toBe(200);
      expect((await runPipeline(tenant)).status).toBe("completed");
      const drain = (await pages(tenant)).find((p) => p.slug === "drain-cleaning-round-rock");
      // Search Console's numbers for the page, as Google would report them for its address.
      const registered = await registerPages([
        {
          url: drain?.wordpress?.link,
          queries: [{ query: "clogged kitchen drain round rock", impressions: 380, clicks: 2, position: 9.1 }],
        },
      ]);
      expect(registered.status).toBe(200);
      expect((await runPipeline(tenant)).status).toBe("completed");
      const measured = (await pages(tenant)).find((p) => p.slug === "drain-cleaning-round-rock");
      expect(measured?.analytics).toMatchObject({ impressions: 380, clicks: 2 });
      expect(measured?.proposal?.title).toContain("Clogged Kitchen Drain Round Rock");
      expect((await pages(tenant)).filter((p) => p.analytics !== null)).toHaveLength(1);

      expect((await runPipeline(tenant)).status).toBe("completed");
      const clusters = await (
        await request(`/api/v1/entities?type=keyword&projectId=${tenant.projectId}&limit=50`, { headers: tenant.auth })
      ).json<{ items: { data: { cluster?: { slug: string; secondaryKeywords: string[] } } }[] }>();
      const cluster = clusters.items.find((c) => c.data.cluster?.slug === "drain-cleaning-round-rock");
      expect(cluster?.data.cluster?.secondaryKeywords).toContain("clogged kitchen drain round rock");
    },
    PIPELINE_TIMEOUT,
  );
});
