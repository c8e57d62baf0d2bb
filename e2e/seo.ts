/**
 * Programmatic SEO end to end on `npm run dev`'s stack (#17): a project with
 * two services and three places runs the whole pipeline; its pages appear as
 * drafts in the REAL local WordPress with JSON-LD, internal links and a map
 * image; approving publishes them (read back through WordPress's REST API
 * and its public HTML); a second run changes nothing in WordPress.
 */
import type { ApexClient } from "../app/lib/api-client/index.ts";
import type { Stack } from "../dev/stack.ts";
import { answered, expect } from "./expect.ts";

interface SeoPage {
  id: string;
  slug: string;
  status: string;
  wordpress: { id: number } | null;
}

export async function seoCheck(
  baseUrl: string,
  stack: Stack,
  owner: { apex: ApexClient; projectId: string; token: string },
): Promise<void> {
  const { apex, projectId, token } = owner;
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const dna = await fetch(`${baseUrl}/api/v1/projects/${projectId}/dna/custom`, {
    method: "PUT",
    headers: { ...auth, "if-match": '"0"' },
    body: JSON.stringify({
      identity: { businessName: "North Austin Plumbing", phone: "+15125550100" },
      brandBrain: {
        voice: "Plain and neighbourly",
        differentiators: ["Same-day visits across the north Austin suburbs"],
        insiderTips: ["Flush a tank water heater once a year"],
        objections: [{ objection: "Can you come today?", answer: "Most days, yes: call before noon." }],
        forbiddenTopics: ["Politics"],
      },
      services: [
        { name: "Water heater repair", slug: "water-heater-repair", keywords: ["tankless water heater"] },
        { name: "Drain cleaning", slug: "drain-cleaning", keywords: ["clogged drain"] },
      ],
      geoScope: { country: "US", cities: ["Austin", "Round Rock", "Cedar Park"], areas: [] },
    }),
  });
  expect(dna.status === 200, `saving the DNA answered ${dna.status}: ${await dna.text()}`);
  const site = await fetch(`${baseUrl}/api/v1/projects/${projectId}/wordpress`, {
    method: "PUT",
    headers: auth,
    body: JSON.stringify({
      url: stack.wordpress.url,
      username: stack.wordpress.username,
      applicationPassword: stack.wordpress.applicationPassword,
    }),
  });
  expect(site.status === 200, `connecting WordPress answered ${site.status}: ${await site.text()}`);

  const wp = async <T>(route: string): Promise<T> => {
    const response = await fetch(`${stack.wordpress.url}/?rest_route=${route}`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${stack.wordpress.username}:${stack.wordpress.applicationPassword}`).toString("base64")}`,
      },
    });
    expect(response.ok, `WordPress ${route} answered ${response.status}`);
    return (await response.json()) as T;
  };
  const waitFor = async (ticketId: string) => {
    for (let i = 0; i < 1_200; i++) {
      const read = answered(
        "a ticket",
        await apex.GET("/api/v1/tickets/{id}", { params: { path: { id: ticketId } } }),
        200,
      ) as {
        status: string;
        error: string | null;
      };
      if (read.status === "completed") return;
      expect(
        read.status !== "failed" && read.status !== "cancelled",
        `ticket ${ticketId} ${read.status}: ${read.error}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`ticket ${ticketId} did not finish`);
  };
  const run = async () => {
    const started = await apex.POST("/api/v1/tasks/{task}", {
      params: { path: { task: "seo_pipeline" } },
      body: { params: { projectId } },
    });
    await waitFor((answered("running the pipeline", started, 202) as { id: string }).id);
  };
  const pages = async () => {
    const response = await fetch(`${baseUrl}/api/v1/projects/${projectId}/seo`, { headers: auth });
    return ((await response.json()) as { pages: SeoPage[] }).pages;
  };

  await run();
  const drafts = await pages();
  expect(drafts.length === 6, `the pipeline made ${drafts.length} pages, not 2 services × 3 places`);
  for (const page of drafts) {
    expect(page.status === "draft" && page.wordpress !== null, `${page.slug} is ${page.status}`);
    const stored = await wp<{ status: string; content: { raw: string } }>(
      `/wp/v2/pages/${page.wordpress?.id}&context=edit`,
    );
    expect(stored.status === "draft", `${page.slug} is ${stored.status} in WordPress`);
    for (const part of ['<script type="application/ld+json">', 'class="apex-related"', "<img src="]) {
      expect(stored.content.raw.includes(part), `${page.slug} in WordPress lacks ${part}`);
    }
  }

  for (const page of drafts) {
    const approved = await fetch(`${baseUrl}/api/v1/seo-pages/${page.id}/approve`, { method: "POST", headers: auth });
    expect(approved.status === 200, `approving ${page.slug} answered ${approved.status}`);
    const { ticketId } = (await approved.json()) as { ticketId: string | null };
    if (ticketId) await waitFor(ticketId);
  }
  const published = await pages();
  for (const page of published) {
    expect(page.status === "published", `${page.slug} is ${page.status} after its approval`);
    const html = await (await fetch(`${stack.wordpress.url}/?page_id=${page.wordpress?.id}`)).text();
    expect(html.includes("application/ld+json"), `${page.slug}'s public HTML has no JSON-LD`);
  }

  const modified = async () =>
    Promise.all(
      published.map(
        async (p) => (await wp<{ modified: string }>(`/wp/v2/pages/${p.wordpress?.id}&context=edit`)).modified,
      ),
    );
  const before = await modified();
  await run();
  const after = await modified();
  expect(
    JSON.stringify(after) === JSON.stringify(before),
    "a second run changed pages in WordPress although the DNA did not change",
  );
}
