import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Problem } from "../problems";
import { WordPressProblem, type WordPressSite, wordpressClient } from "./wordpress";

// Against the real WordPress test/global-setup.ts starts (dev/wordpress.ts);
// every test works on slugs of its own, since they share one site.
const site: WordPressSite = {
  url: env.WORDPRESS_TEST_URL,
  username: env.WORDPRESS_TEST_USER,
  applicationPassword: env.WORDPRESS_TEST_PASSWORD,
};
const wordpress = wordpressClient(site, env);
const uniqueSlug = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}`;
const adminAuth = `Basic ${btoa(`${site.username}:${site.applicationPassword}`)}`;

/** WordPress's REST API as the admin, bypassing the client: to arrange a site and to check what it holds. */
async function asAdmin(route: string, init: { method?: string; query?: Record<string, string>; body?: unknown } = {}) {
  const url = new URL(`${site.url}/`);
  url.searchParams.set("rest_route", route);
  for (const [name, value] of Object.entries(init.query ?? {})) url.searchParams.set(name, value);
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers: { authorization: adminAuth, "content-type": "application/json" },
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  expect(response.ok, `${init.method ?? "GET"} ${route} answered ${response.status}`).toBe(true);
  return (await response.json()) as Record<string, unknown>;
}

async function pagesWithSlug(slug: string) {
  const listed: unknown = await asAdmin("/wp/v2/pages", { query: { slug, status: "any", _fields: "id" } });
  return listed as { id: number }[];
}

async function failure(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => expect.unreachable("WordPress accepted the call"),
    (error: unknown) => error,
  );
}

const draft = (slug: string, content = "<p>First version.</p>") => ({
  slug,
  title: `Plumbing in ${slug}`,
  content,
  status: "draft" as const,
});

// A 1×1 transparent PNG.
const PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);

describe("wordpressClient pages", () => {
  it("creates a draft whose raw content, JSON-LD included, WordPress keeps as sent", async () => {
    const slug = uniqueSlug("create");
    const content = `<p>Near the courthouse.</p>\n<script type="application/ld+json">{"@context":"https://schema.org","@type":"Service","name":"Plumbing"}</script>`;
    const page = await wordpress.upsertPage(draft(slug, content));
    expect(page).toMatchObject({ slug, status: "draft" });
    expect(page.link).toContain(site.url);
    const stored = await wordpress.getPage(page.id);
    expect(stored).toMatchObject({ id: page.id, slug, status: "draft", content });
    expect(Date.parse(stored?.modified ?? "")).toBeGreaterThan(Date.now() - 10 * 60_000);
  });

  it("updates the page by its id instead of creating a second one", async () => {
    const slug = uniqueSlug("update");
    const first = await wordpress.upsertPage(draft(slug));
    const second = await wordpress.upsertPage({
      ...draft(slug, "<p>Second version.</p>"),
      id: first.id,
      status: "publish",
      excerpt: "Plumbers near you.",
    });
    expect(second).toMatchObject({ id: first.id, slug, status: "publish" });
    expect(await pagesWithSlug(slug)).toEqual([{ id: first.id }]);
    expect((await wordpress.getPage(first.id))?.content).toBe("<p>Second version.</p>");
  });

  it("adopts a page with the slug that Apex made (its marker in the content) when no id is given", async () => {
    const slug = uniqueSlug("adopt");
    // A page a run left behind after WordPress made it and before Apex stored its id.
    const left = await asAdmin("/wp/v2/pages", {
      method: "POST",
      body: { slug, title: "Left", status: "draft", content: "<!-- apex-page:p-1 --><p>First.</p>" },
    });
    const found = await wordpress.findPageBySlug(slug);
    expect(found).toEqual({ id: left.id, slug, status: "draft" });
    const page = await wordpress.upsertPage({
      ...draft(slug, "<!-- apex-page:p-1 --><p>Adopted.</p>"),
      adoptIfMarked: "apex-page:p-1",
    });
    expect(page.id).toBe(left.id);
    expect(await pagesWithSlug(slug)).toEqual([{ id: left.id }]);
  });

  it("never takes over a person's own page that has the slug: the new page gets a free slug", async () => {
    const slug = uniqueSlug("persons");
    const theirs = await asAdmin("/wp/v2/pages", {
      method: "POST",
      body: { slug, title: "Theirs", status: "publish" },
    });
    const page = await wordpress.upsertPage({
      ...draft(slug, "<!-- apex-page:p-2 --><p>Ours.</p>"),
      adoptIfMarked: "apex-page:p-2",
    });
    expect(page.id).not.toBe(theirs.id);
    expect(page.slug).not.toBe(slug);
    expect((await wordpress.getPage(Number(theirs.id)))?.content).not.toContain("Ours");
  });

  it("reports the slug WordPress used when another page already owns the one asked for", async () => {
    const slug = uniqueSlug("taken");
    const owner = await asAdmin("/wp/v2/pages", { method: "POST", body: { slug, title: "Owner", status: "publish" } });
    const ours = await wordpress.upsertPage(draft(uniqueSlug("ours")));
    const renamed = await wordpress.upsertPage({ ...draft(slug), id: ours.id, status: "publish" });
    expect(renamed.id).toBe(ours.id);
    expect(renamed.slug).toBe(`${slug}-2`);
    expect((await wordpress.findPageBySlug(slug))?.id).toBe(owner.id);
  });

  it("creates the page anew when the stored id was deleted in WordPress", async () => {
    const slug = uniqueSlug("deleted");
    const gone = await wordpress.upsertPage(draft(slug));
    await asAdmin(`/wp/v2/pages/${gone.id}`, { method: "DELETE", query: { force: "true" } });
    expect(await wordpress.getPage(gone.id)).toBeNull();
    const again = await wordpress.upsertPage({ ...draft(slug), id: gone.id });
    expect(again.id).not.toBe(gone.id);
    expect(again.slug).toBe(slug);
    expect(await pagesWithSlug(slug)).toEqual([{ id: again.id }]);
  });
});

describe("wordpressClient media", () => {
  it("uploads a PNG with its alt text, and WordPress serves it at sourceUrl", async () => {
    const filename = `${uniqueSlug("map")}.png`;
    const media = await wordpress.uploadMedia({
      bytes: PNG,
      filename,
      contentType: "image/png",
      altText: "Map of the area around the courthouse",
    });
    expect(media.sourceUrl).toMatch(new RegExp(`/wp-content/uploads/.+/${filename}$`));
    const served = await fetch(media.sourceUrl);
    expect(served.status).toBe(200);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(PNG);
    const stored = await asAdmin(`/wp/v2/media/${media.id}`, { query: { context: "edit" } });
    expect(stored.alt_text).toBe("Map of the area around the courthouse");
  });
});

describe("wordpressClient failures", () => {
  it("a wrong Application Password is a 401 WordPressProblem saying to create a new one", async () => {
    const wrong = wordpressClient({ ...site, applicationPassword: "abcd EFGH ijkl MNOP qrst UVWX" }, env);
    const problem = await failure(wrong.upsertPage(draft(uniqueSlug("wrong-password"))));
    expect(problem).toBeInstanceOf(WordPressProblem);
    expect(problem).toMatchObject({ status: 401 });
    expect((problem as WordPressProblem).fix).toMatch(/Application Password was refused.*Users → Profile/);
  });

  it("a user who cannot edit pages is a 403 WordPressProblem saying which role to give", async () => {
    const username = uniqueSlug("subscriber");
    const user = await asAdmin("/wp/v2/users", {
      method: "POST",
      body: { username, email: `${username}@example.com`, password: crypto.randomUUID(), roles: ["subscriber"] },
    });
    const minted = await asAdmin(`/wp/v2/users/${user.id}/application-passwords`, {
      method: "POST",
      body: { name: "apex" },
    });
    const subscriber = wordpressClient({ ...site, username, applicationPassword: String(minted.password) }, env);
    const problem = await failure(subscriber.upsertPage(draft(uniqueSlug("forbidden"))));
    expect(problem).toMatchObject({ status: 403, fix: expect.stringMatching(/Editor or Administrator/) });
  });

  it("a site URL the outbound policy refuses is its 422, naming the field", async () => {
    const metadata = wordpressClient({ ...site, url: "http://169.254.169.254/latest" }, env, { field: "settings.url" });
    const problem = await failure(metadata.findPageBySlug("anything"));
    expect(problem).toBeInstanceOf(Problem);
    expect(problem).toMatchObject({ status: 422, errors: [{ field: "settings.url" }] });
  });

  it("a site that refuses connections is a 'refused' problem saying to check it is up", async () => {
    const down = wordpressClient({ ...site, url: `http://${env.DEAD_WS_PROXY}` }, env);
    const problem = await failure(down.upsertPage(draft(uniqueSlug("down"))));
    expect(problem).toMatchObject({ status: "refused", fix: expect.stringMatching(/could not be reached/) });
  });

  it("a WordPress slower than the timeout is a 'timeout' problem", async () => {
    const slow = wordpressClient(site, env, { timeoutMs: 1 });
    const problem = await failure(slow.getPage(1));
    expect(problem).toMatchObject({ status: "timeout", fix: expect.stringMatching(/did not answer within/) });
  });

  it("an address without WordPress's REST API is a 404 problem saying to check the URL", async () => {
    const notFound = wordpressClient({ ...site, url: `${env.WEBHOOK_RECEIVER_URL}/answer/404` }, env);
    expect(await failure(notFound.getPage(1))).toMatchObject({
      status: 404,
      fix: expect.stringMatching(/no REST API/),
    });
    // A site that ignores `rest_route` and answers its home page.
    const html = wordpressClient({ ...site, url: `${env.WEBHOOK_RECEIVER_URL}/sites/plumber` }, env);
    expect(await failure(html.findPageBySlug("x"))).toMatchObject({ status: 404 });
  });

  it("a failing WordPress (5xx) is a problem saying to retry later", async () => {
    const failing = wordpressClient({ ...site, url: `${env.WEBHOOK_RECEIVER_URL}/answer/503` }, env);
    const problem = await failure(failing.upsertPage({ ...draft(uniqueSlug("failing")), id: 7 }));
    expect(problem).toMatchObject({ status: 503, fix: expect.stringMatching(/retry later/) });
  });
});
