/**
 * Local Google Search Console, the Search Analytics query Apex reads its
 * pages' search performance with:
 *
 *   POST /webmasters/v3/sites/{siteUrl, URL-encoded}/searchAnalytics/query
 *     Authorization: Bearer <token>
 *     {"startDate":"YYYY-MM-DD","endDate":"YYYY-MM-DD","dimensions":["page"]|["page","query"],
 *      "rowLimit":1–25000 (1000),"startRow":≥0 (0),"type":"web","dataState":…,"aggregationType":"auto"|"byPage"}
 *     → 200 {"rows":[{"keys":["https://site/page"(,"query")],"clicks","impressions","ctr","position"}],
 *            "responseAggregationType":"byPage"}
 *       rows by clicks, then impressions, descending (then by keys); `rows` is
 *       absent when there are none, as Google leaves it out.
 *     → 401 {"error":{"code":401,"message","errors":[…],"status":"UNAUTHENTICATED"}}  no or a wrong token
 *     → 403 {"error":{"code":403,…,"status":"PERMISSION_DENIED"}}                      a site never registered
 *     → 400 {"error":{"code":400,…,"status":"INVALID_ARGUMENT"}}  bad JSON, dates, dimensions, limits; and
 *       what the simulator does not do: other dimensions, dimensionFilterGroups, types other than web
 *
 * The numbers are only what a test or the dev stack registered, never filler:
 *   PUT /_sim/sites/{siteUrl}/pages  [{url, impressions, clicks, position,
 *                                      queries?: [{query, impressions, clicks, position}]}]
 * replaces a site's pages (and makes the site known: `[]` for a site with no
 * data). siteUrl is a URL-prefix property ("https://example.com/") or a
 * domain one ("sc-domain:example.com"), and every page must belong to it.
 * An unregistered page has no rows; a page with no impressions has none
 * either. ctr is clicks / impressions. `["page","query"]` rows come from a
 * page's `queries` only (the rest is the anonymized traffic Google leaves
 * out too); with `queries`, a page's own totals may be left out and are then
 * their sums (position weighted by impressions), else they must cover them.
 * Dates are checked and echoed in the request log, and shape no numbers.
 *
 * Control, at the root and in every lane:
 *   PUT /_sim/token                   {"token":"…"}  the Bearer token accepted (default "dev-gsc-token")
 *   GET /_sim/sites/{siteUrl}/pages   the registered pages, as stored
 *   GET /_sim/requests                [{siteUrl, startDate, endDate, dimensions, rowLimit, startRow}] in order
 *
 * A lane, `/_sim/lanes/{name}` before any path (a base URL such as
 * `http://127.0.0.1:8797/_sim/lanes/seo-1`), has its own token, sites and
 * request log. Tests run in parallel against one simulator, so each gets one.
 */
import http from "node:http";
import { serve } from "./serve.ts";

interface SearchConsoleSimulatorOptions {
  port: number;
  log?: (line: string) => void;
}

export interface SearchConsoleSimulator {
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

export const DEFAULT_GSC_TOKEN = "dev-gsc-token";

interface Performance {
  impressions: number;
  clicks: number;
  position: number;
}

export interface RegisteredPage extends Performance {
  url: string;
  queries: (Performance & { query: string })[];
}

interface Lane {
  token: string;
  sites: Map<string, RegisteredPage[]>;
  requests: Record<string, unknown>[];
}

const newLane = (): Lane => ({ token: DEFAULT_GSC_TOKEN, sites: new Map(), requests: [] });

/** A request Google refuses, with the status and words it refuses it with. */
class GoogleError extends Error {
  code: number;
  status: string;
  reason: string;
  constructor(code: number, status: string, reason: string, message: string) {
    super(message);
    this.code = code;
    this.status = status;
    this.reason = reason;
  }
}

const invalid = (message: string) => new GoogleError(400, "INVALID_ARGUMENT", "invalid", message);

const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

/** Does a page URL belong to the property? A prefix property by prefix, a domain property by host. */
function belongsTo(siteUrl: string, pageUrl: string): boolean {
  if (siteUrl.startsWith("sc-domain:")) {
    const domain = siteUrl.slice("sc-domain:".length).toLowerCase();
    const host = new URL(pageUrl).hostname.toLowerCase();
    return host === domain || host.endsWith(`.${domain}`);
  }
  return pageUrl.startsWith(siteUrl);
}

function validSiteUrl(siteUrl: string): boolean {
  if (siteUrl.startsWith("sc-domain:")) return /^sc-domain:[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(siteUrl);
  return /^https?:\/\/[^/]+\/.*$/.test(siteUrl) && URL.canParse(siteUrl);
}

/** One performance record ({impressions, clicks, position}), or why it is not one. */
function performance(value: Record<string, unknown>, what: string): Performance {
  const { impressions, clicks, position } = value;
  if (!isCount(impressions)) throw invalid(`${what}: impressions must be a whole number ≥ 0`);
  if (!isCount(clicks) || clicks > impressions) throw invalid(`${what}: clicks must be a whole number ≤ impressions`);
  if (impressions > 0 && (typeof position !== "number" || !(position >= 1))) {
    throw invalid(`${what}: position must be a number ≥ 1`);
  }
  return { impressions, clicks, position: impressions > 0 ? (position as number) : 0 };
}

/** The pages a `PUT /_sim/sites/{siteUrl}/pages` body registers, totals derived from queries where left out. */
function registeredPages(siteUrl: string, body: unknown): RegisteredPage[] {
  if (!Array.isArray(body)) throw invalid("expected a JSON array of pages");
  const seen = new Set<string>();
  return body.map((raw, index) => {
    const what = `page ${index}`;
    if (!raw || typeof raw !== "object") throw invalid(`${what}: not an object`);
    const page = raw as Record<string, unknown>;
    if (typeof page.url !== "string" || !URL.canParse(page.url)) throw invalid(`${what}: url must be an absolute URL`);
    if (!belongsTo(siteUrl, page.url)) throw invalid(`${what}: ${page.url} is not part of ${siteUrl}`);
    if (seen.has(page.url)) throw invalid(`${what}: ${page.url} is registered twice`);
    seen.add(page.url);
    if (page.queries !== undefined && !Array.isArray(page.queries)) throw invalid(`${what}: queries must be an array`);
    const queryNames = new Set<string>();
    const queries = ((page.queries ?? []) as unknown[]).map((rawQuery, at) => {
      const whatQuery = `${what} query ${at}`;
      if (!rawQuery || typeof rawQuery !== "object") throw invalid(`${whatQuery}: not an object`);
      const { query } = rawQuery as Record<string, unknown>;
      if (typeof query !== "string" || !query.trim()) throw invalid(`${whatQuery}: query must be a non-empty string`);
      if (queryNames.has(query)) throw invalid(`${whatQuery}: "${query}" is registered twice`);
      queryNames.add(query);
      return { query, ...performance(rawQuery as Record<string, unknown>, whatQuery) };
    });
    const summed = {
      impressions: queries.reduce((sum, q) => sum + q.impressions, 0),
      clicks: queries.reduce((sum, q) => sum + q.clicks, 0),
    };
    const weighted = queries.reduce((sum, q) => sum + q.position * q.impressions, 0);
    const totals =
      queries.length > 0 && page.impressions === undefined && page.clicks === undefined && page.position === undefined
        ? { ...summed, position: summed.impressions > 0 ? weighted / summed.impressions : 0 }
        : performance(page, what);
    if (totals.impressions < summed.impressions || totals.clicks < summed.clicks) {
      throw invalid(`${what}: its impressions and clicks must cover its queries'`);
    }
    return { url: page.url, ...totals, queries };
  });
}

interface AnalyticsQuery {
  startDate: string;
  endDate: string;
  dimensions: ("page" | "query")[];
  rowLimit: number;
  startRow: number;
}

const isDate = (value: unknown): value is string =>
  typeof value === "string" &&
  /^\d{4}-\d{2}-\d{2}$/.test(value) &&
  new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);

/** A Search Analytics request body, checked as Google checks it (within the simulator's subset). */
function analyticsQuery(body: unknown): AnalyticsQuery {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw invalid("Invalid JSON payload received.");
  const request = body as Record<string, unknown>;
  const { startDate, endDate } = request;
  if (startDate === undefined) throw invalid("Missing startDate.");
  if (endDate === undefined) throw invalid("Missing endDate.");
  if (!isDate(startDate)) throw invalid(`Invalid startDate "${String(startDate)}": expected YYYY-MM-DD.`);
  if (!isDate(endDate)) throw invalid(`Invalid endDate "${String(endDate)}": expected YYYY-MM-DD.`);
  if (startDate > endDate) throw invalid("startDate must not be after endDate.");
  const dimensions = request.dimensions;
  const shape = JSON.stringify(dimensions);
  if (shape !== '["page"]' && shape !== '["page","query"]') {
    throw invalid(`The simulator answers dimensions ["page"] or ["page","query"], not ${shape ?? "none"}.`);
  }
  const rowLimit = request.rowLimit ?? 1000;
  if (!Number.isInteger(rowLimit) || (rowLimit as number) < 1 || (rowLimit as number) > 25_000) {
    throw invalid("rowLimit must be between 1 and 25000.");
  }
  const startRow = request.startRow ?? 0;
  if (!isCount(startRow)) throw invalid("startRow must be 0 or more.");
  const type = request.type ?? request.searchType ?? "web";
  if (type !== "web") throw invalid(`The simulator has only web search data, not "${String(type)}".`);
  const aggregation = request.aggregationType ?? "auto";
  if (aggregation !== "auto" && aggregation !== "byPage") {
    throw invalid(`aggregationType ${String(aggregation)} cannot group by page.`);
  }
  if (Array.isArray(request.dimensionFilterGroups) && request.dimensionFilterGroups.length > 0) {
    throw invalid("The simulator does not filter: send no dimensionFilterGroups.");
  }
  return {
    startDate,
    endDate,
    dimensions: dimensions as AnalyticsQuery["dimensions"],
    rowLimit: rowLimit as number,
    startRow,
  };
}

/** The rows Google would give for the registered pages, sorted and paged. */
function analyticsRows(pages: RegisteredPage[], query: AnalyticsQuery) {
  const byQuery = query.dimensions.length === 2;
  const records = pages.flatMap((page): (Performance & { keys: string[] })[] =>
    byQuery ? page.queries.map((q) => ({ keys: [page.url, q.query], ...q })) : [{ keys: [page.url], ...page }],
  );
  return records
    .filter((record) => record.impressions > 0)
    .sort(
      (a, b) =>
        b.clicks - a.clicks ||
        b.impressions - a.impressions ||
        a.keys.join("\n").localeCompare(b.keys.join("\n"), "en"),
    )
    .slice(query.startRow, query.startRow + query.rowLimit)
    .map((record) => ({
      keys: record.keys,
      clicks: record.clicks,
      impressions: record.impressions,
      ctr: record.clicks / record.impressions,
      position: record.position,
    }));
}

const missingCredential =
  "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";
const invalidCredential =
  "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

export async function startSearchConsoleSimulator(
  options: SearchConsoleSimulatorOptions,
): Promise<SearchConsoleSimulator> {
  const log = options.log ?? (() => undefined);
  const root = newLane();
  const lanes = new Map<string, Lane>();

  const json = (res: http.ServerResponse, status: number, value: unknown, headers = {}) => {
    res.writeHead(status, { "Content-Type": "application/json; charset=UTF-8", ...headers });
    res.end(JSON.stringify(value));
  };
  /** Google's error document: the v1 shape with the legacy `errors` list the webmasters API still sends. */
  const googleError = (res: http.ServerResponse, error: GoogleError, headers = {}) =>
    json(
      res,
      error.code,
      {
        error: {
          code: error.code,
          message: error.message,
          errors: [{ message: error.message, domain: "global", reason: error.reason }],
          status: error.status,
        },
      },
      headers,
    );

  async function readJson(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    try {
      return JSON.parse(text || "null");
    } catch {
      throw invalid(`Invalid JSON payload received. Unexpected token in: ${JSON.stringify(text.slice(0, 40))}`);
    }
  }

  async function control(req: http.IncomingMessage, res: http.ServerResponse, lane: Lane, path: string) {
    if (path === "/_sim/requests" && req.method === "GET") return json(res, 200, lane.requests);
    if (path === "/_sim/token" && req.method === "PUT") {
      const { token } = ((await readJson(req)) ?? {}) as { token?: unknown };
      if (typeof token !== "string" || !token) return json(res, 400, { error: "token must be a non-empty string" });
      lane.token = token;
      return json(res, 200, { token });
    }
    const sitePages = /^\/_sim\/sites\/(.+)\/pages$/.exec(path);
    if (sitePages) {
      const siteUrl = decodeURIComponent(sitePages[1] as string);
      if (req.method === "GET") {
        const pages = lane.sites.get(siteUrl);
        return pages ? json(res, 200, pages) : json(res, 404, { error: `no site ${siteUrl}` });
      }
      if (req.method === "PUT") {
        if (!validSiteUrl(siteUrl)) {
          return json(res, 400, { error: `${siteUrl}: expected "https://host/…/" or "sc-domain:host"` });
        }
        try {
          lane.sites.set(siteUrl, registeredPages(siteUrl, await readJson(req)));
        } catch (error) {
          if (error instanceof GoogleError) return json(res, 400, { error: error.message });
          throw error;
        }
        return json(res, 200, { siteUrl, pages: lane.sites.get(siteUrl)?.length });
      }
    }
    return json(res, 404, { error: `no control ${req.method} ${path}` });
  }

  async function searchAnalytics(req: http.IncomingMessage, res: http.ServerResponse, lane: Lane, siteUrl: string) {
    const authorization = req.headers.authorization ?? "";
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (token !== lane.token) {
      const message = authorization ? invalidCredential : missingCredential;
      const reason = authorization ? "authError" : "required";
      return googleError(res, new GoogleError(401, "UNAUTHENTICATED", reason, message), {
        "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"',
      });
    }
    const body = await readJson(req);
    const asked = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
    lane.requests.push({
      siteUrl,
      startDate: asked.startDate,
      endDate: asked.endDate,
      dimensions: asked.dimensions,
      rowLimit: asked.rowLimit,
      startRow: asked.startRow,
    });
    const pages = lane.sites.get(siteUrl);
    if (!pages) {
      const message = `User does not have sufficient permission for site '${siteUrl}'. See also: https://support.google.com/webmasters/answer/2451999.`;
      throw new GoogleError(403, "PERMISSION_DENIED", "forbidden", message);
    }
    const rows = analyticsRows(pages, analyticsQuery(body));
    return json(res, 200, { ...(rows.length > 0 ? { rows } : {}), responseAggregationType: "byPage" });
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const inLane = /^\/_sim\/lanes\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const laneKey = inLane ? decodeURIComponent(inLane[1] as string) : undefined;
    let lane = root;
    if (laneKey !== undefined) {
      lane = lanes.get(laneKey) ?? newLane();
      lanes.set(laneKey, lane);
    }
    const path = inLane ? (inLane[2] ?? "/") : url.pathname;
    const where = `search-console${laneKey === undefined ? "" : ` [${laneKey}]`} ${req.method} ${path}`;
    res.on("finish", () => log(`${where} → ${res.statusCode}`));
    try {
      if (path.startsWith("/_sim/")) return await control(req, res, lane, path);
      // Google wants the site URL encoded; an unencoded one is still read whole (greedy match).
      const route = /^\/webmasters\/v3\/sites\/(.+)\/searchAnalytics\/query$/.exec(path);
      if (!route) throw new GoogleError(404, "NOT_FOUND", "notFound", `The simulator has no ${req.method} ${path}.`);
      if (req.method !== "POST") {
        throw new GoogleError(405, "METHOD_NOT_ALLOWED", "httpMethodNotAllowed", "Use POST for searchAnalytics.query.");
      }
      return await searchAnalytics(req, res, lane, decodeURIComponent(route[1] as string));
    } catch (error) {
      if (res.headersSent) return;
      if (error instanceof GoogleError) return googleError(res, error);
      log(`${where} → error: ${String(error)}`);
      json(res, 500, { error: { code: 500, message: String(error), status: "INTERNAL" } });
    }
  });
  return serve(server, options.port);
}
