import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEFAULT_GSC_TOKEN, startSearchConsoleSimulator } from "./search-console.ts";

let gsc: Awaited<ReturnType<typeof startSearchConsoleSimulator>>;

before(async () => {
  gsc = await startSearchConsoleSimulator({ port: 0 });
});

after(async () => {
  await gsc.close();
});

const SITE = "https://plumbing.example.com/";

interface Row {
  keys: string[];
  clicks: number;
  impressions: number;
  ctr: number;
  position: number;
}

const put = (url: string, value: unknown) =>
  fetch(url, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(value) });
const register = (lane: string, pages: unknown, site = SITE) =>
  put(`${lane}/_sim/sites/${encodeURIComponent(site)}/pages`, pages);
const query = (lane: string, body: Record<string, unknown>, options: { site?: string; token?: string | null } = {}) =>
  fetch(`${lane}/webmasters/v3/sites/${encodeURIComponent(options.site ?? SITE)}/searchAnalytics/query`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.token === null ? {} : { authorization: `Bearer ${options.token ?? DEFAULT_GSC_TOKEN}` }),
    },
    body: JSON.stringify(body),
  });
const laneFor = (name: string) => `${gsc.baseUrl}/_sim/lanes/${name}`;
const BY_PAGE = { startDate: "2025-05-01", endDate: "2025-05-28", dimensions: ["page"] };

const PAGES = [
  { url: `${SITE}austin/water-heater-repair`, impressions: 1200, clicks: 36, position: 7.4 },
  { url: `${SITE}round-rock/drain-cleaning`, impressions: 300, clicks: 45, position: 2.1 },
  { url: `${SITE}cedar-park/slab-leak`, impressions: 80, clicks: 0, position: 31.5 },
  { url: `${SITE}pflugerville/new-page`, impressions: 0, clicks: 0 },
];

describe("searchAnalytics.query", () => {
  it("answers registered pages in Google's shape, ctr from clicks and impressions, by clicks", async () => {
    const lane = laneFor("by-page");
    const registered = await register(lane, PAGES);
    assert.equal(registered.status, 200, await registered.clone().text());
    const response = await query(lane, BY_PAGE);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    const body = (await response.json()) as { rows: Row[]; responseAggregationType: string };
    assert.deepEqual(Object.keys(body), ["rows", "responseAggregationType"]);
    assert.equal(body.responseAggregationType, "byPage");
    assert.deepEqual(body.rows, [
      { keys: [`${SITE}round-rock/drain-cleaning`], clicks: 45, impressions: 300, ctr: 0.15, position: 2.1 },
      { keys: [`${SITE}austin/water-heater-repair`], clicks: 36, impressions: 1200, ctr: 0.03, position: 7.4 },
      { keys: [`${SITE}cedar-park/slab-leak`], clicks: 0, impressions: 80, ctr: 0, position: 31.5 },
    ]);
    assert.deepEqual(Object.keys(body.rows[0] as Row), ["keys", "clicks", "impressions", "ctr", "position"]);
  });

  it("breaks pages down by query from their registered queries only, totals derived when left out", async () => {
    const lane = laneFor("by-query");
    await register(lane, [
      {
        url: `${SITE}austin/water-heater-repair`,
        queries: [
          { query: "water heater repair austin", impressions: 900, clicks: 30, position: 6 },
          { query: "tankless water heater austin", impressions: 100, clicks: 2, position: 12 },
        ],
      },
      // Page totals beyond its queries: the rest is anonymized traffic.
      {
        url: `${SITE}round-rock/drain-cleaning`,
        impressions: 300,
        clicks: 45,
        position: 2.1,
        queries: [{ query: "drain cleaning round rock", impressions: 120, clicks: 20, position: 1.8 }],
      },
      { url: `${SITE}cedar-park/slab-leak`, impressions: 80, clicks: 1, position: 31.5 },
    ]);
    const byQuery = (await (await query(lane, { ...BY_PAGE, dimensions: ["page", "query"] })).json()) as {
      rows: Row[];
    };
    assert.deepEqual(
      byQuery.rows.map((row) => [...row.keys, row.clicks]),
      [
        [`${SITE}austin/water-heater-repair`, "water heater repair austin", 30],
        [`${SITE}round-rock/drain-cleaning`, "drain cleaning round rock", 20],
        [`${SITE}austin/water-heater-repair`, "tankless water heater austin", 2],
      ],
    );
    const byPage = (await (await query(lane, BY_PAGE)).json()) as { rows: Row[] };
    const austin = byPage.rows.find((row) => row.keys[0]?.includes("austin")) as Row;
    assert.deepEqual(austin, {
      keys: [`${SITE}austin/water-heater-repair`],
      clicks: 32,
      impressions: 1000,
      ctr: 0.032,
      position: (900 * 6 + 100 * 12) / 1000,
    });
  });

  it("pages with rowLimit and startRow", async () => {
    const lane = laneFor("paging");
    await register(lane, PAGES);
    const page = async (startRow: number, rowLimit: number) =>
      ((await (await query(lane, { ...BY_PAGE, startRow, rowLimit })).json()) as { rows?: Row[] }).rows?.map(
        (row) => row.clicks,
      );
    assert.deepEqual(await page(0, 2), [45, 36]);
    assert.deepEqual(await page(2, 2), [0]);
    assert.equal(await page(3, 2), undefined, "past the end: no rows key at all");
  });

  it("a known site with nothing registered has no rows key", async () => {
    const lane = laneFor("empty-site");
    await register(lane, []);
    const response = await query(lane, BY_PAGE);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { responseAggregationType: "byPage" });
  });

  it("a domain property covers its subdomains", async () => {
    const lane = laneFor("domain");
    const site = "sc-domain:example.org";
    const pages = [{ url: "https://www.example.org/austin/", impressions: 10, clicks: 1, position: 3 }];
    assert.equal((await register(lane, pages, site)).status, 200);
    const body = (await (await query(lane, BY_PAGE, { site })).json()) as { rows: Row[] };
    assert.deepEqual(body.rows[0]?.keys, ["https://www.example.org/austin/"]);
  });

  it("logs what it was asked, dates and all", async () => {
    const lane = laneFor("logged");
    await register(lane, PAGES);
    await query(lane, { ...BY_PAGE, rowLimit: 10 });
    assert.deepEqual(await (await fetch(`${lane}/_sim/requests`)).json(), [
      { siteUrl: SITE, startDate: "2025-05-01", endDate: "2025-05-28", dimensions: ["page"], rowLimit: 10 },
    ]);
  });
});

describe("refusals in Google's shape", () => {
  it("401 without a token or with a wrong one", async () => {
    const lane = laneFor("auth");
    await register(lane, PAGES);
    for (const [token, words] of [
      [null, /missing required authentication credential/],
      ["not-the-token", /invalid authentication credentials/],
    ] as const) {
      const response = await query(lane, BY_PAGE, { token });
      assert.equal(response.status, 401);
      assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer/);
      const { error } = await response.json();
      assert.equal(error.code, 401);
      assert.equal(error.status, "UNAUTHENTICATED");
      assert.match(error.message, words);
    }
    assert.deepEqual(await (await fetch(`${lane}/_sim/requests`)).json(), [], "refused before being read");
  });

  it("403 for a site never registered", async () => {
    const response = await query(laneFor("unknown-site"), BY_PAGE, { site: "https://stranger.example.net/" });
    assert.equal(response.status, 403);
    const { error } = await response.json();
    assert.deepEqual(
      { code: error.code, status: error.status, reason: error.errors[0].reason },
      { code: 403, status: "PERMISSION_DENIED", reason: "forbidden" },
    );
    assert.match(error.message, /sufficient permission for site 'https:\/\/stranger\.example\.net\/'/);
  });

  it("400 for what it cannot read or does not do", async () => {
    const lane = laneFor("invalid");
    await register(lane, PAGES);
    for (const [body, words] of [
      [{ endDate: "2025-05-28", dimensions: ["page"] }, /startDate/],
      [{ ...BY_PAGE, startDate: "2025-02-30" }, /startDate/],
      [{ ...BY_PAGE, startDate: "2025-06-01" }, /after endDate/],
      [{ ...BY_PAGE, dimensions: ["country"] }, /dimensions/],
      [{ ...BY_PAGE, dimensions: undefined }, /dimensions/],
      [{ ...BY_PAGE, rowLimit: 25_001 }, /rowLimit/],
      [{ ...BY_PAGE, startRow: -1 }, /startRow/],
      [{ ...BY_PAGE, type: "image" }, /web/],
      [{ ...BY_PAGE, dimensionFilterGroups: [{ filters: [] }] }, /filter/],
    ] as const) {
      const response = await query(lane, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      const { error } = await response.json();
      assert.equal(error.status, "INVALID_ARGUMENT");
      assert.match(error.message, words);
    }
    const broken = await fetch(`${lane}/webmasters/v3/sites/${encodeURIComponent(SITE)}/searchAnalytics/query`, {
      method: "POST",
      headers: { authorization: `Bearer ${DEFAULT_GSC_TOKEN}` },
      body: "{not json",
    });
    assert.equal(broken.status, 400);
    assert.match((await broken.json()).error.message, /Invalid JSON payload/);
  });

  it("registration refuses pages that do not add up or are not the site's", async () => {
    const lane = laneFor("bad-pages");
    for (const [pages, words] of [
      [[{ url: `${SITE}a`, impressions: 10, clicks: 11, position: 2 }], /clicks/],
      [[{ url: "https://elsewhere.example.com/a", impressions: 10, clicks: 1, position: 2 }], /not part of/],
      [[{ url: `${SITE}a`, impressions: 10, clicks: 1 }], /position/],
      [
        [
          {
            url: `${SITE}a`,
            impressions: 10,
            clicks: 1,
            position: 2,
            queries: [{ query: "q", impressions: 20, clicks: 1, position: 2 }],
          },
        ],
        /cover/,
      ],
      [{ url: `${SITE}a` }, /array/],
    ] as const) {
      const response = await register(lane, pages);
      assert.equal(response.status, 400, JSON.stringify(pages));
      assert.match((await response.json()).error, words);
    }
    assert.equal((await register(lane, [], "plumbing.example.com")).status, 400, "not a property URL");
    assert.equal((await fetch(`${lane}/_sim/sites/${encodeURIComponent(SITE)}/pages`)).status, 404);
  });
});

describe("tokens and lanes", () => {
  it("PUT /_sim/token changes the token a lane accepts, and only that lane's", async () => {
    const lane = laneFor("new-token");
    await register(lane, PAGES);
    assert.equal((await put(`${lane}/_sim/token`, { token: "ya29.rotated" })).status, 200);
    assert.equal((await query(lane, BY_PAGE)).status, 401);
    assert.equal((await query(lane, BY_PAGE, { token: "ya29.rotated" })).status, 200);
    const other = laneFor("old-token");
    await register(other, PAGES);
    assert.equal((await query(other, BY_PAGE)).status, 200);
    assert.equal((await put(`${lane}/_sim/token`, { token: "" })).status, 400);
  });

  it("each lane has its own sites: one lane's pages are another's unknown site", async () => {
    const mine = laneFor("mine");
    await register(mine, PAGES.slice(0, 1));
    assert.equal(((await (await query(mine, BY_PAGE)).json()) as { rows: Row[] }).rows.length, 1);
    assert.equal((await query(laneFor("theirs"), BY_PAGE)).status, 403);
    const stored = await (await fetch(`${mine}/_sim/sites/${encodeURIComponent(SITE)}/pages`)).json();
    assert.deepEqual(stored, [{ ...PAGES[0], queries: [] }]);
  });

  it("the root is a lane of its own too", async () => {
    assert.equal((await query(gsc.baseUrl, BY_PAGE)).status, 403);
  });

  it("close() ends with a keep-alive connection open", async () => {
    const own = await startSearchConsoleSimulator({ port: 0 });
    await fetch(`${own.baseUrl}/_sim/requests`);
    const closed = own.close().then(() => "closed");
    const timeout = new Promise((resolve) => setTimeout(() => resolve("close() hung"), 3_000).unref());
    assert.equal(await Promise.race([closed, timeout]), "closed");
  });
});
