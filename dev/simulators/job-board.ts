/**
 * Local job board: a site where people post jobs they want done, for Apex's
 * lead hunter to read through a real headless browser. Every listing and
 * detail page the server sends is a shell (no post text at all) whose script
 * fetches JSON and builds the DOM, so a plain fetch of a page sees nothing;
 * when a page is built its script sets `body[data-ready="1"]`, and if the
 * JSON cannot be had it sets `body[data-error]` instead. Each page's
 * `<base href>` is the site's (or lane's) root, so its relative URLs work
 * from any depth; detail pages add their canonical link from the script.
 *
 * Two flavors, two markups (a board is one or the other):
 *
 *   gigs
 *     GET /search?q=&where=&page=          main#results > article.gig (a.gig-link[href] > h2.gig-title,
 *                                           span.gig-place, time.gig-time[datetime]); a.next to the next page
 *     GET /gig/{id}, /private/gig/{id}      article#gig (h1.title, div.body, p.place, time.posted[datetime],
 *                                           p.contact "Phone: " a[href^="tel:"], p.contact "Email: " a[href^="mailto:"])
 *     GET /api/search?q=&where=&page=      {posts:[{id,title,place,postedAt,url}], page, pages}
 *     GET /api/gigs/{id}, /private/api/gigs/{id}
 *   trades
 *     GET /jobs?keyword=&location=&p=      ul#job-list > li.job-card[data-job-id] (a.job-title[href],
 *                                           span.job-location, span.job-age "{n} minutes ago"); a[rel=next]
 *     GET /jobs/{id}, /members/jobs/{id}    section.job (h1, p.description, dl: dd.location, dd.posted[data-iso],
 *                                           dd.contact "phone, email")
 *     GET /api/jobs?keyword=&location=&p=  {jobs:[{id,title,location,postedAt,minutesAgo,url}], p, pages}
 *     GET /api/jobs/{id}, /members/api/jobs/{id}
 *   both
 *     GET /robots.txt                       disallows /private/ and /members/ (and their lane equivalents)
 *
 * Search is as loose as real boards': a post matches when any word (3+
 * letters) of the query is in its title or body, and a place brings the
 * posts filed there plus the two nearest from elsewhere. Newest first, four
 * to a page, and the newest match shows again atop page 2 (a bumped post).
 * A private post is listed with its private URL, and only that URL (and its
 * private API) serves it; listings and pages never serve it elsewhere.
 *
 * Control, at the root and in every lane:
 *   PUT /_sim/posts      [JobBoardPost…]        replaces the posts
 *   PUT /_sim/mode       {"mode":"ok"|"429"|"hang"}  for every request but robots.txt — 429: a 429 with
 *                                               Retry-After: 1; hang: no answer ever (close() ends it)
 *   GET /_sim/requests   the paths (with query) asked of the site, in order, control calls aside
 *
 * A lane, `/_sim/lanes/{name}` before any path (a base URL such as
 * `http://127.0.0.1:8795/_sim/lanes/hunter-1`), is a whole board of its own:
 * its own posts (the starting ones until replaced), mode and request log.
 * Tests run in parallel against one board, so each gets a lane.
 */
import http from "node:http";
import { GIGS_POSTS, TRADES_POSTS } from "./job-board-posts.ts";
import { serve } from "./serve.ts";

export type JobBoardFlavor = "gigs" | "trades";

export interface JobBoardPost {
  id: string;
  title: string;
  body: string;
  /** The suburb or city the post names, e.g. "Round Rock". */
  place: string;
  /** The metro the board files it under, e.g. "Austin". */
  city: string;
  lat: number;
  lon: number;
  postedMinutesAgo: number;
  phone?: string;
  email?: string;
  /** Listed, but served only under /private/ (gigs) or /members/ (trades). */
  private?: boolean;
}

interface JobBoardOptions {
  port: number;
  flavor: JobBoardFlavor;
  /** The posts the root and every new lane start with (default: the bundled ones for the flavor). */
  posts?: JobBoardPost[];
  log?: (line: string) => void;
}

export interface JobBoard {
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

type Mode = "ok" | "429" | "hang";

/** One board: the root's or a lane's. */
interface Site {
  posts: JobBoardPost[];
  mode: Mode;
  requests: string[];
}

const PAGE_SIZE = 4;
const NEARBY_COUNT = 2;

const ROBOTS_TXT = `User-agent: *
Disallow: /private/
Disallow: /members/
Disallow: /_sim/lanes/*/private/
Disallow: /_sim/lanes/*/members/
Crawl-delay: 1
`;

const BRAND: Record<JobBoardFlavor, string> = { gigs: "GigList", trades: "TradeCall" };

/** Kilometres between two points (haversine): which other places are "nearby". */
function distanceKm(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const rad = Math.PI / 180;
  const dLat = (bLat - aLat) * rad;
  const dLon = (bLon - aLon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

/** Where a place is: the mean of its posts' points (by place, else by city); undefined if no post is there. */
function centreOf(posts: JobBoardPost[], where: string): { lat: number; lon: number } | undefined {
  const byPlace = posts.filter((p) => p.place.toLowerCase() === where);
  const there = byPlace.length ? byPlace : posts.filter((p) => p.city.toLowerCase() === where);
  if (!there.length) return undefined;
  return {
    lat: there.reduce((sum, p) => sum + p.lat, 0) / there.length,
    lon: there.reduce((sum, p) => sum + p.lon, 0) / there.length,
  };
}

/**
 * One page of a search, as loose as real boards': any query word of three or
 * more letters in the title or body; the place's own posts plus the nearest
 * few from elsewhere; newest first; the newest repeated atop page 2.
 */
export function searchPosts(
  posts: JobBoardPost[],
  query: { q: string; where: string; page: number },
): { posts: JobBoardPost[]; page: number; pages: number } {
  const words = query.q
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length >= 3);
  const matching = posts.filter((post) => {
    if (!words.length) return true;
    const text = `${post.title} ${post.body}`.toLowerCase();
    return words.some((word) => text.includes(word));
  });
  const where = query.where.trim().toLowerCase();
  let found = matching;
  if (where) {
    const local = matching.filter((p) => p.place.toLowerCase() === where || p.city.toLowerCase() === where);
    const centre = centreOf(posts, where);
    const nearby = centre
      ? matching
          .filter((p) => !local.includes(p))
          .map((p) => ({ post: p, km: distanceKm(centre.lat, centre.lon, p.lat, p.lon) }))
          .sort((a, b) => a.km - b.km)
          .slice(0, NEARBY_COUNT)
          .map((near) => near.post)
      : [];
    found = [...local, ...nearby];
  }
  const newestFirst = [...found].sort((a, b) => a.postedMinutesAgo - b.postedMinutesAgo || a.id.localeCompare(b.id));
  const newest = newestFirst[0];
  const listed =
    newest && newestFirst.length > PAGE_SIZE
      ? [...newestFirst.slice(0, PAGE_SIZE), newest, ...newestFirst.slice(PAGE_SIZE)]
      : newestFirst;
  const pages = Math.max(1, Math.ceil(listed.length / PAGE_SIZE));
  const page = Number.isInteger(query.page) && query.page >= 1 ? query.page : 1;
  return { posts: listed.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE), page, pages };
}

/** A post as PUT /_sim/posts must give it; the reason it is not one, else undefined. */
function notAPost(value: unknown): string | undefined {
  if (!value || typeof value !== "object") return "not an object";
  const post = value as Record<string, unknown>;
  for (const key of ["id", "title", "body", "place", "city"]) {
    if (typeof post[key] !== "string" || !post[key]) return `${key} must be a non-empty string`;
  }
  for (const key of ["lat", "lon", "postedMinutesAgo"]) {
    if (typeof post[key] !== "number" || !Number.isFinite(post[key])) return `${key} must be a number`;
  }
  for (const key of ["phone", "email"]) {
    if (post[key] !== undefined && typeof post[key] !== "string") return `${key} must be a string`;
  }
  if (post.private !== undefined && typeof post.private !== "boolean") return "private must be a boolean";
  return undefined;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/**
 * What every page's script starts with. Plain JavaScript for the browser, kept
 * as text (not a compiled function's source, which a bundler may rewrite).
 * Post text only ever goes in through textContent and setAttribute.
 */
const CLIENT_HELPERS = String.raw`
const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
};
const ago = (iso) => {
  const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
  if (minutes < 60) return minutes + (minutes === 1 ? " minute ago" : " minutes ago");
  const hours = Math.round(minutes / 60);
  if (hours < 24) return hours + (hours === 1 ? " hour ago" : " hours ago");
  const days = Math.round(hours / 24);
  return days + (days === 1 ? " day ago" : " days ago");
};
const telHref = (phone) => {
  const digits = phone.replace(/[^\d+]/g, "");
  return "tel:" + (/^\d{10}$/.test(digits) ? "+1" + digits : digits);
};
const addCanonical = () => {
  const link = document.createElement("link");
  link.rel = "canonical";
  link.href = location.origin + location.pathname;
  document.head.appendChild(link);
};
const lastSegment = () => decodeURIComponent(location.pathname.split("/").pop() || "");
const load = (api, render) => {
  fetch(api, { headers: { accept: "application/json" } })
    .then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then((data) => {
      render(data);
      document.body.dataset.ready = "1";
    })
    .catch((error) => {
      document.body.dataset.error = String((error && error.message) || error);
      const main = document.querySelector("main");
      if (main) main.textContent = "This page could not be loaded. Try again later.";
    });
};
`;

const GIGS_SEARCH_SCRIPT = `
const params = new URLSearchParams(location.search);
const query = { q: params.get("q") || "", where: params.get("where") || "" };
load("api/search?" + new URLSearchParams({ ...query, page: params.get("page") || "1" }), (data) => {
  const results = document.getElementById("results");
  for (const post of data.posts) {
    const link = el("a", "gig-link");
    link.setAttribute("href", post.url);
    link.appendChild(el("h2", "gig-title", post.title));
    const time = el("time", "gig-time", ago(post.postedAt));
    time.setAttribute("datetime", post.postedAt);
    const article = el("article", "gig");
    article.append(link, el("span", "gig-place", post.place), time);
    results.appendChild(article);
  }
  if (!data.posts.length) results.appendChild(el("p", "empty", "No gigs match your search."));
  if (data.page < data.pages) {
    const next = el("a", "next", "Next page");
    next.setAttribute("href", "search?" + new URLSearchParams({ ...query, page: String(data.page + 1) }));
    document.getElementById("pager").appendChild(next);
  }
});
`;

const GIGS_DETAIL_SCRIPT = `
load(API + encodeURIComponent(lastSegment()), (post) => {
  const article = el("article");
  article.id = "gig";
  // Where the poster pinned the job, as the board's map widget would: "lat,lon".
  article.dataset.coordinates = post.coordinates.join(",");
  const posted = el("time", "posted", new Date(post.postedAt).toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" }));
  posted.setAttribute("datetime", post.postedAt);
  article.append(el("h1", "title", post.title), el("div", "body", post.body), el("p", "place", post.place), posted);
  if (post.phone) {
    const link = el("a", "", post.phone);
    link.setAttribute("href", telHref(post.phone));
    const line = el("p", "contact", "Phone: ");
    line.appendChild(link);
    article.appendChild(line);
  }
  if (post.email) {
    const link = el("a", "", post.email);
    link.setAttribute("href", "mailto:" + post.email);
    const line = el("p", "contact", "Email: ");
    line.appendChild(link);
    article.appendChild(line);
  }
  document.getElementById("content").appendChild(article);
  addCanonical();
});
`;

const TRADES_LIST_SCRIPT = `
const params = new URLSearchParams(location.search);
const query = { keyword: params.get("keyword") || "", location: params.get("location") || "" };
load("api/jobs?" + new URLSearchParams({ ...query, p: params.get("p") || "1" }), (data) => {
  const list = document.getElementById("job-list");
  for (const job of data.jobs) {
    const card = el("li", "job-card");
    card.dataset.jobId = job.id;
    const link = el("a", "job-title", job.title);
    link.setAttribute("href", job.url);
    card.append(link, el("span", "job-location", job.location), el("span", "job-age", job.minutesAgo + " minutes ago"));
    list.appendChild(card);
  }
  if (!data.jobs.length) list.appendChild(el("li", "no-jobs", "No jobs found."));
  if (data.p < data.pages) {
    const next = el("a", "", "Next »");
    next.rel = "next";
    next.setAttribute("href", "jobs?" + new URLSearchParams({ ...query, p: String(data.p + 1) }));
    document.getElementById("pager").appendChild(next);
  }
});
`;

const TRADES_DETAIL_SCRIPT = `
load(API + encodeURIComponent(lastSegment()), (job) => {
  const facts = document.createElement("dl");
  const posted = el("dd", "posted", job.minutesAgo + " minutes ago");
  posted.dataset.iso = job.postedAt;
  facts.append(el("dt", "", "Location"), el("dd", "location", job.location), el("dt", "", "Posted"), posted);
  const contact = [job.contact && job.contact.phone, job.contact && job.contact.email].filter(Boolean);
  if (contact.length) facts.append(el("dt", "", "Contact"), el("dd", "contact", contact.join(", ")));
  const section = el("section", "job");
  section.dataset.coordinates = job.coordinates.join(",");
  section.append(el("h1", "", job.title), el("p", "description", job.description), facts);
  document.getElementById("content").appendChild(section);
  addCanonical();
});
`;

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:48rem;padding:1rem}
header{border-bottom:1px solid #ccc;margin-bottom:1rem}article.gig,li.job-card{border-bottom:1px solid #eee;padding:.5rem 0}
#job-list{list-style:none;padding:0}.gig-place,.gig-time,.job-location,.job-age{color:#555;margin-right:1rem}
.body,.description{white-space:pre-line}`;

/** A page as the server sends it: a shell, its base, and the script (with `API` set when given) that fills it. */
function shell(site: { brand: string; base: string }, title: string, main: string, script?: string, api?: string) {
  const code = script
    ? `<script>${api === undefined ? "" : `const API = ${JSON.stringify(api).replace(/</g, "\\u003c")};`}${CLIENT_HELPERS}${script}</script>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="${escapeHtml(site.base)}">
<title>${escapeHtml(`${title} · ${site.brand}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><a href="./">${escapeHtml(site.brand)}</a></header>
${main}
<noscript>This board needs JavaScript.</noscript>
${code}
</body>
</html>
`;
}

export async function startJobBoard(options: JobBoardOptions): Promise<JobBoard> {
  const log = options.log ?? (() => undefined);
  const { flavor } = options;
  const startingPosts = options.posts ?? (flavor === "gigs" ? GIGS_POSTS : TRADES_POSTS);
  /** Post times are fixed against this instant, so a post stays as old as it says relative to start. */
  const startedAt = Date.now();
  const postedAt = (post: JobBoardPost) => new Date(startedAt - post.postedMinutesAgo * 60_000).toISOString();
  const minutesAgo = (post: JobBoardPost) =>
    Math.max(0, Math.round((Date.now() - (startedAt - post.postedMinutesAgo * 60_000)) / 60_000));

  const newSite = (): Site => ({ posts: [...startingPosts], mode: "ok", requests: [] });
  const root = newSite();
  const lanes = new Map<string, Site>();

  const send = (res: http.ServerResponse, status: number, type: string, body: string, headers = {}) => {
    res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store", ...headers });
    res.end(body);
  };
  const json = (res: http.ServerResponse, status: number, value: unknown) =>
    send(res, status, "application/json", JSON.stringify(value));
  const html = (res: http.ServerResponse, status: number, body: string) =>
    send(res, status, "text/html; charset=utf-8", body);

  async function readJson(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
  }

  async function control(req: http.IncomingMessage, res: http.ServerResponse, site: Site, path: string) {
    if (path === "/_sim/requests" && req.method === "GET") return json(res, 200, site.requests);
    if (path === "/_sim/posts" && req.method === "PUT") {
      const posts = await readJson(req);
      if (!Array.isArray(posts)) return json(res, 400, { error: "expected a JSON array of posts" });
      for (const [index, post] of posts.entries()) {
        const problem = notAPost(post);
        if (problem) return json(res, 400, { error: `post ${index}: ${problem}` });
      }
      site.posts = posts as JobBoardPost[];
      return json(res, 200, { posts: site.posts.length });
    }
    if (path === "/_sim/mode" && req.method === "PUT") {
      const { mode } = ((await readJson(req)) ?? {}) as { mode?: unknown };
      if (mode !== "ok" && mode !== "429" && mode !== "hang") {
        return json(res, 400, { error: 'mode must be "ok", "429" or "hang"' });
      }
      site.mode = mode;
      return json(res, 200, { mode });
    }
    return json(res, 404, { error: `no control ${req.method} ${path}` });
  }

  const gigJson = (post: JobBoardPost) => ({
    id: post.id,
    title: post.title,
    body: post.body,
    place: post.place,
    postedAt: postedAt(post),
    coordinates: [post.lat, post.lon],
    ...(post.phone ? { phone: post.phone } : {}),
    ...(post.email ? { email: post.email } : {}),
  });
  const jobJson = (post: JobBoardPost) => ({
    id: post.id,
    title: post.title,
    description: post.body,
    location: post.place,
    postedAt: postedAt(post),
    coordinates: [post.lat, post.lon],
    minutesAgo: minutesAgo(post),
    contact:
      post.phone || post.email
        ? { ...(post.phone ? { phone: post.phone } : {}), ...(post.email ? { email: post.email } : {}) }
        : null,
  });
  /** Where a post lives, relative to the base: private ones only under the path robots.txt disallows. */
  const postUrl = (post: JobBoardPost) => {
    const id = encodeURIComponent(post.id);
    if (flavor === "gigs") return post.private ? `private/gig/${id}` : `gig/${id}`;
    return post.private ? `members/jobs/${id}` : `jobs/${id}`;
  };

  /** The site itself: pages, their JSON, robots.txt. Answers false when the path is not one of its own. */
  function page(res: http.ServerResponse, site: Site, base: string, url: URL, path: string): boolean {
    const frame = { brand: BRAND[flavor], base };
    const servedPost = (id: string | undefined, wantPrivate: boolean) => {
      const post = site.posts.find((p) => p.id === decodeURIComponent(id ?? ""));
      return post && Boolean(post.private) === wantPrivate ? post : undefined;
    };
    const notFound = () => html(res, 404, shell(frame, "Not found", "<main><h1>Not found</h1></main>"));
    const pageNumber = (value: string | null) => Number.parseInt(value ?? "1", 10);

    if (flavor === "gigs") {
      if (path === "/") {
        html(res, 200, shell(frame, "Home", '<main><p><a href="search">Browse gigs</a></p></main>'));
        return true;
      }
      if (path === "/search") {
        const main = '<main id="results"></main>\n<nav id="pager"></nav>';
        html(res, 200, shell(frame, "Search gigs", main, GIGS_SEARCH_SCRIPT));
        return true;
      }
      if (path === "/api/search") {
        const found = searchPosts(site.posts, {
          q: url.searchParams.get("q") ?? "",
          where: url.searchParams.get("where") ?? "",
          page: pageNumber(url.searchParams.get("page")),
        });
        json(res, 200, {
          posts: found.posts.map((p) => ({
            id: p.id,
            title: p.title,
            place: p.place,
            postedAt: postedAt(p),
            url: postUrl(p),
          })),
          page: found.page,
          pages: found.pages,
        });
        return true;
      }
      const detail = /^\/(private\/)?gig\/([^/]+)$/.exec(path);
      if (detail) {
        const isPrivate = Boolean(detail[1]);
        if (!servedPost(detail[2], isPrivate)) notFound();
        else {
          const api = isPrivate ? "private/api/gigs/" : "api/gigs/";
          html(res, 200, shell(frame, "Gig", '<main id="content"></main>', GIGS_DETAIL_SCRIPT, api));
        }
        return true;
      }
      const detailApi = /^\/(private\/)?api\/gigs\/([^/]+)$/.exec(path);
      if (detailApi) {
        const post = servedPost(detailApi[2], Boolean(detailApi[1]));
        if (post) json(res, 200, gigJson(post));
        else json(res, 404, { error: "no such gig" });
        return true;
      }
      return false;
    }

    if (path === "/") {
      html(res, 200, shell(frame, "Home", '<main><p><a href="jobs">Browse jobs</a></p></main>'));
      return true;
    }
    if (path === "/jobs") {
      const main = '<main><ul id="job-list"></ul>\n<nav id="pager"></nav></main>';
      html(res, 200, shell(frame, "Find jobs", main, TRADES_LIST_SCRIPT));
      return true;
    }
    if (path === "/api/jobs") {
      const found = searchPosts(site.posts, {
        q: url.searchParams.get("keyword") ?? "",
        where: url.searchParams.get("location") ?? "",
        page: pageNumber(url.searchParams.get("p")),
      });
      json(res, 200, {
        jobs: found.posts.map((p) => ({
          id: p.id,
          title: p.title,
          location: p.place,
          postedAt: postedAt(p),
          minutesAgo: minutesAgo(p),
          url: postUrl(p),
        })),
        p: found.page,
        pages: found.pages,
      });
      return true;
    }
    const detail = /^\/(members\/)?jobs\/([^/]+)$/.exec(path);
    if (detail) {
      const isPrivate = Boolean(detail[1]);
      if (!servedPost(detail[2], isPrivate)) notFound();
      else {
        const api = isPrivate ? "members/api/jobs/" : "api/jobs/";
        html(res, 200, shell(frame, "Job", '<main id="content"></main>', TRADES_DETAIL_SCRIPT, api));
      }
      return true;
    }
    const detailApi = /^\/(members\/)?api\/jobs\/([^/]+)$/.exec(path);
    if (detailApi) {
      const post = servedPost(detailApi[2], Boolean(detailApi[1]));
      if (post) json(res, 200, jobJson(post));
      else json(res, 404, { error: "no such job" });
      return true;
    }
    return false;
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const inLane = /^\/_sim\/lanes\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const laneKey = inLane ? decodeURIComponent(inLane[1] as string) : undefined;
    let site = root;
    if (laneKey !== undefined) {
      site = lanes.get(laneKey) ?? newSite();
      lanes.set(laneKey, site);
    }
    const base = inLane ? `/_sim/lanes/${inLane[1]}/` : "/";
    const path = inLane ? (inLane[2] ?? "/") : url.pathname;
    const where = `${flavor}${laneKey === undefined ? "" : ` [${laneKey}]`} ${req.method} ${path}${url.search}`;
    try {
      if (path.startsWith("/_sim/")) return await control(req, res, site, path);
      site.requests.push(`${path}${url.search}`);
      if (site.mode === "hang" && path !== "/robots.txt") {
        // Never answered: the socket stays open until the client gives up or close() destroys it.
        log(`${where} → (hang)`);
        return;
      }
      res.on("finish", () => log(`${where} → ${res.statusCode}`));
      if (req.method !== "GET" && req.method !== "HEAD") {
        return send(res, 405, "text/plain; charset=utf-8", "Method not allowed\n", { Allow: "GET, HEAD" });
      }
      if (path === "/robots.txt") return send(res, 200, "text/plain; charset=utf-8", ROBOTS_TXT);
      if (site.mode === "429") {
        const body = "<!doctype html><title>Too many requests</title><h1>Too many requests</h1>\n";
        return send(res, 429, "text/html; charset=utf-8", body, { "Retry-After": "1" });
      }
      if (!page(res, site, base, url, path)) {
        html(res, 404, shell({ brand: BRAND[flavor], base }, "Not found", "<main><h1>Not found</h1></main>"));
      }
    } catch (error) {
      log(`${where} → error: ${String(error)}`);
      if (!res.headersSent) json(res, error instanceof SyntaxError ? 400 : 500, { error: String(error) });
    }
  });
  return serve(server, options.port);
}
