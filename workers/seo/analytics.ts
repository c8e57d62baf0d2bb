import { fetchOutbound } from "../outbound/fetch";

/**
 * Analytics: each published page's search performance from Google Search
 * Console's Search Analytics API (`SEARCH_CONSOLE_API_URL`; locally the
 * simulator in dev/simulators/search-console.ts) — impressions, clicks, CTR,
 * position over the last 28 days, and the queries it was found for. A page
 * seen often but rarely clicked gets a title and description rewrite
 * proposal; its queries feed the next strategist run.
 */
export interface PagePerformance {
  impressions: number;
  clicks: number;
  ctr: number;
  position: number;
  queries: { query: string; impressions: number; clicks: number; position: number }[];
}

interface Row {
  keys: string[];
  clicks: number;
  impressions: number;
  ctr: number;
  position: number;
}

/** A page is "seen but not chosen" from this many impressions at a CTR under POOR_CTR. */
export const PROPOSAL_MIN_IMPRESSIONS = 100;
export const POOR_CTR = 0.02;

const day = (at: Date) => at.toISOString().slice(0, 10);

/** A page's address as Search Console and WordPress may each write it: no fragment, no trailing slash. */
export const pageKey = (url: string) => url.replace(/#.*$/, "").replace(/\/+$/, "");

export async function pagePerformance(
  env: Pick<Env, "APP_ENV" | "SEARCH_CONSOLE_API_URL">,
  site: { property: string; accessToken: string },
  now = new Date(),
): Promise<Map<string, PagePerformance>> {
  const query = async (dimensions: string[]) => {
    const response = await fetchOutbound(
      `${env.SEARCH_CONSOLE_API_URL.replace(/\/+$/, "")}/sites/${encodeURIComponent(site.property)}/searchAnalytics/query`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${site.accessToken}`, "content-type": "application/json" },
        body: JSON.stringify({
          startDate: day(new Date(now.getTime() - 28 * 86_400_000)),
          endDate: day(now),
          dimensions,
          rowLimit: 1_000,
        }),
      },
      { appEnv: env.APP_ENV, field: "searchConsole", what: "Search Console", timeoutMs: 20_000 },
    );
    return ((await response.json()) as { rows?: Row[] }).rows ?? [];
  };
  const byPage = new Map<string, PagePerformance>();
  for (const row of await query(["page"])) {
    const [page] = row.keys;
    if (!page) continue;
    byPage.set(pageKey(page), {
      impressions: row.impressions,
      clicks: row.clicks,
      ctr: row.ctr,
      position: row.position,
      queries: [],
    });
  }
  for (const row of await query(["page", "query"])) {
    const [page, text] = row.keys;
    const found = page ? byPage.get(pageKey(page)) : undefined;
    if (!found || !text) continue;
    found.queries.push({ query: text, impressions: row.impressions, clicks: row.clicks, position: row.position });
  }
  return byPage;
}

/**
 * A rewrite of a page's title and description, when it is seen but rarely
 * chosen: the title leads with the query it is most seen for, the
 * description with what sets the business apart. Derived from its own data
 * and the DNA, nothing invented. Undefined when the page does not need one.
 */
export function rewriteProposal(
  page: { title: string; metaDescription: string },
  performance: PagePerformance,
  business: { name: string; differentiators: string[] },
): { title: string; metaDescription: string; reason: string } | undefined {
  if (performance.impressions < PROPOSAL_MIN_IMPRESSIONS || performance.ctr >= POOR_CTR) return undefined;
  const top = [...performance.queries].sort((a, b) => b.impressions - a.impressions)[0]?.query;
  const lead = top ? top.replace(/\b\w/g, (c) => c.toUpperCase()) : (page.title.split("|")[0]?.trim() ?? page.title);
  const title = clip(`${lead} | ${business.name}`, 60);
  const why = business.differentiators[0];
  const metaDescription = clip(`${lead}: ${why ? `${why}. ` : ""}${page.metaDescription}`, 155);
  const reason = `Seen ${performance.impressions} times in 28 days but clicked ${(performance.ctr * 100).toFixed(1)} % of them${top ? `, most often for "${top}"` : ""}.`;
  return { title, metaDescription, reason };
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text);
