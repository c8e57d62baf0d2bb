import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { type JobBoardPost, startJobBoard } from "./job-board.ts";
import { GIGS_POSTS, TRADES_POSTS } from "./job-board-posts.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let gigs: Awaited<ReturnType<typeof startJobBoard>>;
let trades: Awaited<ReturnType<typeof startJobBoard>>;

before(async () => {
  gigs = await startJobBoard({ port: 0, flavor: "gigs" });
  trades = await startJobBoard({ port: 0, flavor: "trades" });
});

after(async () => {
  await gigs.close();
  await trades.close();
});

const getJson = async (url: string) => {
  const response = await fetch(url);
  assert.equal(response.status, 200, `${url} → ${response.status}`);
  return response.json();
};
const put = (url: string, value: unknown) =>
  fetch(url, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(value) });
const ids = (items: { id: string }[]) => items.map((item) => item.id);

describe("what a plain fetch sees", () => {
  it("a search page is a shell with a script and no post text", async () => {
    for (const [board, path, posts] of [
      [gigs, "/search?q=plumber&where=Austin", GIGS_POSTS],
      [trades, "/jobs?keyword=plumber&location=Austin", TRADES_POSTS],
    ] as const) {
      const response = await fetch(`${board.baseUrl}${path}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
      const html = await response.text();
      assert.match(html, /<base href="\/">/);
      assert.match(html, /<script>/);
      for (const post of posts) assert.ok(!html.includes(post.title), `${path} shows "${post.title}"`);
    }
  });

  it("a detail page holds neither the post's title nor its body nor its contact", async () => {
    const html = await (await fetch(`${gigs.baseUrl}/gig/g-103`)).text();
    const post = GIGS_POSTS.find((p) => p.id === "g-103") as JobBoardPost;
    for (const text of [post.title, post.body, post.phone, post.email]) assert.ok(!html.includes(text as string));
    assert.match(html, /const API = "api\/gigs\/";/);
  });
});

describe("the gigs JSON", () => {
  it("pages matches newest first, four to a page, the newest bumped atop page 2", async () => {
    const page1 = await getJson(`${gigs.baseUrl}/api/search?q=plumber&where=&page=1`);
    assert.deepEqual(ids(page1.posts), ["g-103", "g-101", "g-109", "g-108"]);
    assert.equal(page1.page, 1);
    assert.equal(page1.pages, 2);
    const page2 = await getJson(`${gigs.baseUrl}/api/search?q=plumber&where=&page=2`);
    assert.deepEqual(ids(page2.posts), ["g-103", "g-110", "g-104", "g-114"]);
    assert.equal(page2.page, 2);
    const [first] = page1.posts;
    assert.equal(first.url, "gig/g-103");
    assert.equal(first.place, "Pflugerville");
    assert.ok(Math.abs(Date.now() - 5 * 60_000 - Date.parse(first.postedAt)) < 60_000, first.postedAt);
    const times = page1.posts.map((p: { postedAt: string }) => Date.parse(p.postedAt));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
  });

  it("lists a private post with its private URL", async () => {
    const page1 = await getJson(`${gigs.baseUrl}/api/search?q=plumber`);
    assert.equal(page1.posts.find((p: { id: string }) => p.id === "g-108").url, "private/gig/g-108");
  });

  it("a place brings its own posts and the two nearest from elsewhere", async () => {
    const found = await getJson(`${gigs.baseUrl}/api/search?q=plumber&where=round%20rock`);
    // g-101 and g-114 are in Round Rock; g-103 (Pflugerville) and g-104 (Cedar Park) are the nearest others.
    assert.deepEqual(ids(found.posts), ["g-103", "g-101", "g-104", "g-114"]);
    assert.equal(found.pages, 1);
    const austin = await getJson(`${gigs.baseUrl}/api/search?q=plumber&where=Austin&page=2`);
    // The Austin metro's plumbing posts, plus Dallas's and Houston's as "nearby".
    assert.ok(ids(austin.posts).includes("g-110"));
  });

  it("matches loosely: any word of three letters or more", async () => {
    const found = await getJson(`${gigs.baseUrl}/api/search?q=leaking%20water%20heater&page=1`);
    const all = [...found.posts, ...(await getJson(`${gigs.baseUrl}/api/search?q=leaking+water+heater&page=2`)).posts];
    assert.ok(ids(all).includes("g-106"), "the painting job says water");
    assert.ok(!ids(all).includes("g-105"));
    const short = await getJson(`${gigs.baseUrl}/api/search?q=ac`);
    assert.equal(short.pages, 4, "no word of three letters: everything (14 posts + the bump)");
  });

  it("serves a private post only under /private/", async () => {
    assert.equal((await fetch(`${gigs.baseUrl}/gig/g-108`)).status, 404);
    assert.equal((await fetch(`${gigs.baseUrl}/api/gigs/g-108`)).status, 404);
    assert.equal((await fetch(`${gigs.baseUrl}/private/gig/g-108`)).status, 200);
    const post = await getJson(`${gigs.baseUrl}/private/api/gigs/g-108`);
    assert.equal(post.title, "Plumber needed to replace shower valve");
    assert.equal((await fetch(`${gigs.baseUrl}/private/gig/g-101`)).status, 404);
  });

  it("gives a detail with contact only when the post has it", async () => {
    const withBoth = await getJson(`${gigs.baseUrl}/api/gigs/g-103`);
    assert.equal(withBoth.phone, "512-555-0117");
    assert.equal(withBoth.email, "tbrooks@example.net");
    const withNone = await getJson(`${gigs.baseUrl}/api/gigs/g-104`);
    assert.equal("phone" in withNone || "email" in withNone, false);
  });
});

describe("the trades JSON", () => {
  it("pages by p with the bump, in its own shape", async () => {
    const page1 = await getJson(`${trades.baseUrl}/api/jobs?keyword=plumber&location=Austin&p=1`);
    assert.deepEqual(ids(page1.jobs), ["t-201", "t-202", "t-209", "t-208"]);
    assert.equal(page1.p, 1);
    assert.equal(page1.pages, 2);
    assert.equal(page1.jobs[3].url, "members/jobs/t-208");
    assert.equal(page1.jobs[0].location, "Austin");
    assert.ok(Math.abs(page1.jobs[0].minutesAgo - 8) <= 1);
    const page2 = await getJson(`${trades.baseUrl}/api/jobs?keyword=plumber&location=Austin&p=2`);
    assert.deepEqual(ids(page2.jobs), ["t-201", "t-204", "t-210", "t-212"]);
  });

  it("serves a member post only under /members/", async () => {
    assert.equal((await fetch(`${trades.baseUrl}/jobs/t-208`)).status, 404);
    assert.equal((await fetch(`${trades.baseUrl}/members/jobs/t-208`)).status, 200);
    const job = await getJson(`${trades.baseUrl}/members/api/jobs/t-208`);
    assert.deepEqual(job.contact, { phone: "(512) 555-0192", email: "repipe.quote@example.net" });
    assert.equal((await getJson(`${trades.baseUrl}/api/jobs/t-202`)).contact, null);
  });
});

describe("robots.txt", () => {
  it("disallows the private paths, in lanes too, with a crawl delay", async () => {
    for (const url of [`${gigs.baseUrl}/robots.txt`, `${trades.baseUrl}/_sim/lanes/robots/robots.txt`]) {
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
      const lines = (await response.text()).trim().split("\n");
      assert.deepEqual(lines, [
        "User-agent: *",
        "Disallow: /private/",
        "Disallow: /members/",
        "Disallow: /_sim/lanes/*/private/",
        "Disallow: /_sim/lanes/*/members/",
        "Crawl-delay: 1",
      ]);
    }
  });
});

describe("lanes", () => {
  const mine: JobBoardPost = {
    id: "x-1",
    title: "Plumber for a lane of my own",
    body: "Only this lane has it.",
    place: "Austin",
    city: "Austin",
    lat: 30.27,
    lon: -97.74,
    postedMinutesAgo: 3,
    phone: "(512) 555-0199",
  };

  it("keep their own posts", async () => {
    const lane = `${gigs.baseUrl}/_sim/lanes/own-posts`;
    assert.equal((await put(`${lane}/_sim/posts`, [mine])).status, 200);
    assert.deepEqual(ids((await getJson(`${lane}/api/search?q=plumber`)).posts), ["x-1"]);
    const other = await getJson(`${gigs.baseUrl}/_sim/lanes/other-posts/api/search?q=plumber`);
    assert.deepEqual(ids(other.posts), ["g-103", "g-101", "g-109", "g-108"]);
    assert.equal((await getJson(`${gigs.baseUrl}/api/search?q=plumber`)).posts[0].id, "g-103");
    const html = await (await fetch(`${lane}/gig/x-1`)).text();
    assert.match(html, /<base href="\/_sim\/lanes\/own-posts\/">/);
  });

  it("refuse posts that are not posts", async () => {
    const response = await put(`${gigs.baseUrl}/_sim/lanes/bad-posts/_sim/posts`, [{ id: "x" }]);
    assert.equal(response.status, 400);
    assert.match((await response.json()).error, /post 0: title/);
  });

  it("keep their own mode and request log", async () => {
    const busy = `${trades.baseUrl}/_sim/lanes/busy`;
    const calm = `${trades.baseUrl}/_sim/lanes/calm`;
    assert.equal((await put(`${busy}/_sim/mode`, { mode: "429" })).status, 200);
    assert.equal((await fetch(`${busy}/jobs?keyword=plumber`)).status, 429);
    assert.equal((await fetch(`${calm}/jobs?keyword=plumber`)).status, 200);
    assert.equal((await fetch(`${trades.baseUrl}/jobs`)).status, 200);
    await fetch(`${calm}/api/jobs/t-201`);
    assert.deepEqual(await getJson(`${busy}/_sim/requests`), ["/jobs?keyword=plumber"]);
    assert.deepEqual(await getJson(`${calm}/_sim/requests`), ["/jobs?keyword=plumber", "/api/jobs/t-201"]);
    assert.equal((await put(`${busy}/_sim/mode`, { mode: "sleepy" })).status, 400);
  });
});

describe("modes", () => {
  it("429 answers pages and the API with Retry-After, but never robots.txt", async () => {
    const lane = `${gigs.baseUrl}/_sim/lanes/throttled`;
    await put(`${lane}/_sim/mode`, { mode: "429" });
    for (const path of ["/search?q=plumber", "/api/search?q=plumber", "/gig/g-101", "/api/gigs/g-101"]) {
      const response = await fetch(`${lane}${path}`);
      assert.equal(response.status, 429, path);
      assert.equal(response.headers.get("retry-after"), "1");
      assert.match(await response.text(), /Too many requests/);
    }
    assert.equal((await fetch(`${lane}/robots.txt`)).status, 200);
    await put(`${lane}/_sim/mode`, { mode: "ok" });
    assert.equal((await fetch(`${lane}/search?q=plumber`)).status, 200);
  });

  it("hang never answers, and close() still ends", async () => {
    const board = await startJobBoard({ port: 0, flavor: "trades" });
    await put(`${board.baseUrl}/_sim/mode`, { mode: "hang" });
    await assert.rejects(fetch(`${board.baseUrl}/jobs`, { signal: AbortSignal.timeout(300) }), {
      name: "TimeoutError",
    });
    // A request still waiting when the board closes: close() must not wait for it.
    const pending = new Promise<string>((resolve) => {
      http
        .get(`${board.baseUrl}/api/jobs?keyword=plumber`, () => resolve("answered"))
        .on("error", (error) => resolve(error.message));
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = board.close().then(() => "closed");
    const timeout = new Promise((resolve) => setTimeout(() => resolve("close() hung"), 3_000).unref());
    assert.equal(await Promise.race([closed, timeout]), "closed");
    assert.equal(await pending, "socket hang up");
  });
});

const chromiumMissing = existsSync(CHROMIUM)
  ? false
  : `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`;

describe("in a real headless Chromium", { skip: chromiumMissing }, () => {
  let browser: Browser;
  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  });
  after(async () => {
    await browser?.close();
  });

  const open = async (url: string): Promise<Page> => {
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(url);
    await page.waitForSelector('body[data-ready="1"]');
    return page;
  };

  it("gigs: renders the listings, the next page and a detail with contact and canonical link", async () => {
    const base = `${gigs.baseUrl}/_sim/lanes/browser-gigs`;
    const search = await open(`${base}/search?q=plumber&where=Austin`);
    const cards = await search.$$eval("main#results > article.gig", (articles) =>
      articles.map((article) => ({
        title: article.querySelector("a.gig-link > h2.gig-title")?.textContent,
        href: article.querySelector("a.gig-link")?.getAttribute("href"),
        place: article.querySelector("span.gig-place")?.textContent,
        datetime: article.querySelector("time.gig-time")?.getAttribute("datetime"),
      })),
    );
    assert.deepEqual(
      cards.map((card) => card.href),
      ["gig/g-103", "gig/g-101", "gig/g-109", "private/gig/g-108"],
    );
    assert.equal(cards[0]?.title, "Burst pipe in the garage, need help ASAP");
    assert.equal(cards[0]?.place, "Pflugerville");
    assert.ok(!Number.isNaN(Date.parse(cards[0]?.datetime ?? "")));
    assert.equal(await search.getAttribute("a.next", "href"), "search?q=plumber&where=Austin&page=2");

    await search.click("a.next");
    await search.waitForSelector('body[data-ready="1"]');
    assert.equal(await search.getAttribute("article.gig:first-child a.gig-link", "href"), "gig/g-103");
    assert.equal(await search.$("a.next"), null);

    await search.click("article.gig:nth-child(2) a.gig-link");
    await search.waitForURL(`${base}/gig/g-110`);
    await search.waitForSelector('body[data-ready="1"]');
    const detail = await search.$eval("article#gig", (article) => ({
      title: article.querySelector("h1.title")?.textContent,
      body: article.querySelector("div.body")?.textContent,
      place: article.querySelector("p.place")?.textContent,
      posted: article.querySelector("time.posted")?.getAttribute("datetime"),
      contact: Array.from(article.querySelectorAll("p.contact"), (p) => p.textContent),
      mailto: article.querySelector('p.contact a[href^="mailto:"]')?.getAttribute("href"),
      tel: article.querySelector('p.contact a[href^="tel:"]'),
      canonical: document.querySelector('link[rel="canonical"]')?.getAttribute("href"),
    }));
    assert.equal(detail.title, "Slab leak? Need a plumber to check");
    assert.match(detail.body ?? "", /slab leak/);
    assert.equal(detail.place, "Houston");
    assert.ok(detail.posted);
    assert.deepEqual(detail.contact, ["Email: rgarza@example.com"]);
    assert.equal(detail.mailto, "mailto:rgarza@example.com");
    assert.equal(detail.tel, null);
    assert.equal(detail.canonical, `${base}/gig/g-110`);

    await search.goto(`${base}/gig/g-103?utm=feed`);
    await search.waitForSelector('body[data-ready="1"]');
    assert.equal(await search.getAttribute('p.contact a[href^="tel:"]', "href"), "tel:+15125550117");
    assert.equal(await search.textContent("p.contact a[href^='tel:']"), "512-555-0117");
    assert.equal(await search.getAttribute('link[rel="canonical"]', "href"), `${base}/gig/g-103`);
    await search.close();

    const requested: string[] = await getJson(`${base}/_sim/requests`);
    assert.ok(requested.includes("/api/search?q=plumber&where=Austin&page=1"), requested.join(" "));
    assert.ok(requested.includes("/api/gigs/g-110"));
    assert.ok(!requested.some((path) => path.startsWith("/private/")), "never touched the private post");
  });

  it("trades: renders the cards, the next page and a detail with contact and canonical link", async () => {
    const base = `${trades.baseUrl}/_sim/lanes/browser-trades`;
    const list = await open(`${base}/jobs?keyword=plumber&location=Austin`);
    const cards = await list.$$eval("ul#job-list > li.job-card", (items) =>
      items.map((item) => ({
        id: (item as HTMLElement).dataset.jobId,
        href: item.querySelector("a.job-title")?.getAttribute("href"),
        title: item.querySelector("a.job-title")?.textContent,
        location: item.querySelector("span.job-location")?.textContent,
        age: item.querySelector("span.job-age")?.textContent,
      })),
    );
    assert.deepEqual(
      cards.map((card) => card.id),
      ["t-201", "t-202", "t-209", "t-208"],
    );
    assert.equal(cards[3]?.href, "members/jobs/t-208");
    assert.equal(cards[0]?.title, "Water heater leaking in utility closet");
    assert.equal(cards[2]?.location, "Houston");
    assert.match(cards[0]?.age ?? "", /^\d+ minutes ago$/);
    assert.equal(await list.getAttribute('a[rel="next"]', "href"), "jobs?keyword=plumber&location=Austin&p=2");

    await list.click('a[rel="next"]');
    await list.waitForSelector('body[data-ready="1"]');
    assert.equal(await list.getAttribute("li.job-card:first-child", "data-job-id"), "t-201");

    await list.goto(`${base}/jobs/t-203`);
    await list.waitForSelector('body[data-ready="1"]');
    const job = await list.$eval("section.job", (section) => ({
      title: section.querySelector("h1")?.textContent,
      description: section.querySelector("p.description")?.textContent,
      terms: Array.from(section.querySelectorAll("dl > dt"), (dt) => dt.textContent),
      location: section.querySelector("dd.location")?.textContent,
      iso: section.querySelector("dd.posted")?.getAttribute("data-iso"),
      contact: section.querySelector("dd.contact")?.textContent,
      canonical: document.querySelector('link[rel="canonical"]')?.getAttribute("href"),
    }));
    assert.equal(job.title, "Pipe burst under kitchen sink");
    assert.match(job.description ?? "", /soaked the cabinet/);
    assert.deepEqual(job.terms, ["Location", "Posted", "Contact"]);
    assert.equal(job.location, "Cedar Park");
    assert.ok(!Number.isNaN(Date.parse(job.iso ?? "")));
    assert.equal(job.contact, "512-555-0145, lwhitfield@example.com");
    assert.equal(job.canonical, `${base}/jobs/t-203`);
    await list.close();

    const requested: string[] = await getJson(`${base}/_sim/requests`);
    assert.ok(!requested.some((path) => path.startsWith("/members/")), "never touched the member post");
  });

  it("a page whose JSON is refused says so instead of turning ready", async () => {
    const base = `${gigs.baseUrl}/_sim/lanes/browser-refused`;
    const page = await browser.newPage();
    await page.route("**/api/search**", (route) => route.fulfill({ status: 429, body: "Too many requests" }));
    await page.goto(`${base}/search?q=plumber`);
    await page.waitForSelector("body[data-error]", { timeout: 10_000 });
    assert.equal(await page.getAttribute("body", "data-ready"), null);
    await page.close();
  });
});
