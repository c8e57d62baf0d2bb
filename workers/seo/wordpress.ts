/**
 * The programmatic-SEO publisher's WordPress REST client (#17): pages and
 * media on a tenant's own WordPress, authenticated with an Application
 * Password. The site URL is the tenant's, so every call goes through
 * fetchOutbound (the outbound-URL policy); a refused URL surfaces as its 422.
 *
 * Routes are addressed as `/?rest_route=/wp/v2/...`: that form works on every
 * WordPress, pretty permalinks or not, while `/wp-json/` needs rewrite rules.
 *
 * Everything WordPress answers other than success becomes a WordPressProblem
 * with the fix a site owner can make, for the publish stage's ticket.
 */
import { fetchOutbound, OutboundStatusError } from "../outbound/fetch";
import { assertOutboundUrl } from "../outbound/url-policy";
import { Problem } from "../problems";

export interface WordPressSite {
  url: string;
  username: string;
  applicationPassword: string;
}

export interface WordPressClientOptions {
  /** The field a refused site URL names in its 422. */
  field?: string;
  /** Per call, body included. */
  timeoutMs?: number;
}

export interface PageInput {
  /** The WordPress id stored from an earlier publish: update that page. */
  id?: number;
  slug: string;
  title: string;
  /** Raw HTML, stored as sent (JSON-LD <script> included, for a user with unfiltered_html). */
  content: string;
  status: "draft" | "publish";
  excerpt?: string;
  featuredMedia?: number;
  /**
   * Without `id`: a page with this slug whose content holds this marker was
   * made by Apex (a run that died before storing the id) and is updated;
   * any other page with the slug is left alone.
   */
  adoptIfMarked?: string;
}

export interface PublishedPage {
  id: number;
  link: string;
  /** The slug WordPress used: it appends -2, -3 … when another page owns the one asked for. */
  slug: string;
  status: string;
}

export interface StoredPage {
  id: number;
  slug: string;
  /** publish, draft, pending, private, future, or trash. */
  status: string;
  /** Raw content, as stored. */
  content: string;
  /** Last modified, ISO 8601 in UTC. */
  modified: string;
}

export interface MediaFile {
  bytes: Uint8Array;
  filename: string;
  contentType: string;
  altText: string;
}

export type WordPressFailure = number | "timeout" | "refused";

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_FIELD = "wordpress.url";
const USER_AGENT = "ApexPublisher/1.0 (+https://apex.example.com)";

const FIX = {
  unauthorized:
    "the Application Password was refused: create a new one under Users → Profile → Application Passwords and save it in Apex (if a new one is refused too, the host strips the Authorization header)",
  forbidden: "the WordPress user cannot edit pages: give it the Editor or Administrator role",
  noRestApi:
    "the site has no REST API at this address: check the site URL, or that permalinks / the REST API are not disabled (by a security plugin, for instance)",
  redirect:
    "the site URL redirects to another address: save the address it redirects to (with https://, with or without www.) in Apex",
  tooLarge: "the upload is larger than the site accepts: raise PHP's upload_max_filesize and post_max_size on the host",
  rateLimited: "the site or its firewall is rate-limiting Apex: retry later, or allow Apex through the firewall",
  rejected:
    "WordPress rejected the request: check that no security plugin or firewall blocks REST API writes, and that the page's featured image still exists",
  serverError: "WordPress failed on its side: retry later; if it keeps failing, check the site's PHP error log",
  refused: "the site could not be reached: check that it is up and that the site URL is right, then retry",
} as const;

/** A failed call to the tenant's WordPress, with what the site owner can do about it. */
export class WordPressProblem extends Error {
  override name = "WordPressProblem";
  constructor(
    readonly status: WordPressFailure,
    readonly fix: string,
    message: string,
  ) {
    super(message);
  }
}

function fixFor(status: number): string {
  if (status === 401) return FIX.unauthorized;
  if (status === 403) return FIX.forbidden;
  if (status === 404 || status === 405 || status === 410) return FIX.noRestApi;
  if (status >= 300 && status < 400) return FIX.redirect;
  if (status === 413) return FIX.tooLarge;
  if (status === 429) return FIX.rateLimited;
  if (status >= 500) return FIX.serverError;
  return FIX.rejected;
}

function problemFor(status: number, doing: string): WordPressProblem {
  return new WordPressProblem(status, fixFor(status), `WordPress answered ${status} to ${doing}`);
}

/** A 2xx that is not WordPress's JSON: a site (or parking page) that ignores `rest_route` and serves HTML. */
function notWordPress(doing: string): WordPressProblem {
  return new WordPressProblem(
    404,
    FIX.noRestApi,
    `the site answered ${doing} with something other than WordPress's REST API`,
  );
}

/** `user:password` as Basic credentials; UTF-8, since btoa alone takes Latin-1 only. */
function basicAuth(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/** Letters, digits, dot, dash and underscore: the filename travels in a header and becomes a URL path. */
function safeFilename(filename: string): string {
  const cleaned = filename.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[-.]+/, "");
  return cleaned || "upload";
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function text(value: unknown): string {
  if (typeof value === "string") return value;
  // title/content/excerpt come as { raw, rendered } in the edit context.
  if (isRecord(value)) return typeof value.raw === "string" ? value.raw : text(value.rendered);
  return "";
}

function pageId(value: unknown, doing: string): Json & { id: number } {
  if (!isRecord(value) || typeof value.id !== "number") throw notWordPress(doing);
  return value as Json & { id: number };
}

export function wordpressClient(site: WordPressSite, env: Pick<Env, "APP_ENV">, options: WordPressClientOptions = {}) {
  const field = options.field ?? DEFAULT_FIELD;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const authorization = basicAuth(site.username, site.applicationPassword);

  function routeUrl(route: string, query: Record<string, string | number> = {}): string {
    // Checked before parsing, so an unusable site URL is the policy's 422 and not a TypeError.
    assertOutboundUrl(site.url, { appEnv: env.APP_ENV, field });
    const url = new URL(site.url);
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    url.search = "";
    url.hash = "";
    url.searchParams.set("rest_route", route);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
    return url.toString();
  }

  /**
   * One REST call. Answers the decoded JSON, or null for a 404 when the
   * caller takes "not found" as an answer; throws WordPressProblem otherwise.
   */
  async function call(
    doing: string,
    route: string,
    init: { method?: "GET" | "POST"; query?: Record<string, string | number>; body?: BodyInit; headers?: HeadersInit },
    { notFoundIsNull = false } = {},
  ): Promise<unknown> {
    const url = routeUrl(route, init.query);
    const headers = new Headers(init.headers);
    headers.set("authorization", authorization);
    headers.set("accept", "application/json");
    headers.set("user-agent", USER_AGENT);
    let body: string;
    try {
      const response = await fetchOutbound(
        url,
        { method: init.method ?? "GET", headers, body: init.body ?? null },
        { appEnv: env.APP_ENV, field, what: "WordPress", timeoutMs },
      );
      body = await response.text();
    } catch (error) {
      if (error instanceof Problem) throw error;
      if (error instanceof OutboundStatusError) {
        if (error.status === 404 && notFoundIsNull) return null;
        throw problemFor(error.status, doing);
      }
      if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
        throw new WordPressProblem(
          "timeout",
          `WordPress did not answer within ${timeoutMs / 1000} s: check that the site is up and not overloaded, then retry`,
          `WordPress timed out ${doing}`,
        );
      }
      throw new WordPressProblem("refused", FIX.refused, `WordPress could not be reached ${doing}: ${String(error)}`);
    }
    try {
      return JSON.parse(body);
    } catch {
      throw notWordPress(doing);
    }
  }

  const writePage = async (route: string, page: PageInput, doing: string, notFoundIsNull = false) => {
    const payload: Json = { slug: page.slug, title: page.title, content: page.content, status: page.status };
    if (page.excerpt !== undefined) payload.excerpt = page.excerpt;
    if (page.featuredMedia !== undefined) payload.featured_media = page.featuredMedia;
    const answer = await call(
      doing,
      route,
      { method: "POST", body: JSON.stringify(payload), headers: { "content-type": "application/json" } },
      { notFoundIsNull },
    );
    if (answer === null) return null;
    const written = pageId(answer, doing);
    return {
      id: written.id,
      link: text(written.link),
      slug: text(written.slug),
      status: text(written.status),
    } satisfies PublishedPage;
  };

  /**
   * `status=any` is refused as a 400 (rest_invalid_param, "Status is
   * forbidden") both to an anonymous request — which is what a wrong
   * Application Password becomes on some sites — and to a user who cannot
   * edit pages. Asking who we are tells the two apart.
   */
  async function explainForbiddenStatus(doing: string): Promise<WordPressProblem> {
    try {
      await call("checking the Application Password", "/wp/v2/users/me", { query: { _fields: "id" } });
    } catch (error) {
      if (error instanceof WordPressProblem && error.status === 401) return problemFor(401, doing);
      throw error;
    }
    return problemFor(403, doing);
  }

  async function findPageBySlug(slug: string): Promise<{ id: number; slug: string; status: string } | null> {
    const doing = `looking up the page ${slug}`;
    let answer: unknown;
    try {
      answer = await call(doing, "/wp/v2/pages", {
        query: {
          slug,
          // Every status but trash and auto-draft; needs a user who can edit pages.
          status: "any",
          context: "edit",
          orderby: "id",
          order: "asc",
          per_page: 1,
          _fields: "id,slug,status",
        },
      });
    } catch (error) {
      if (error instanceof WordPressProblem && error.status === 400) throw await explainForbiddenStatus(doing);
      throw error;
    }
    if (!Array.isArray(answer)) throw notWordPress(doing);
    const [first] = answer;
    if (first === undefined) return null;
    const found = pageId(first, doing);
    return { id: found.id, slug: text(found.slug), status: text(found.status) };
  }

  return {
    /**
     * Creates or updates one page, never duplicating it: with `id`, updates
     * that page (a 404 there means it was deleted in WordPress: created anew);
     * without, adopts the page that already has the slug, in any status.
     */
    async upsertPage(page: PageInput): Promise<PublishedPage> {
      if (page.id !== undefined) {
        const updated = await writePage(`/wp/v2/pages/${page.id}`, page, `updating page ${page.id}`, true);
        if (updated) return updated;
      } else if (page.adoptIfMarked) {
        // Only a page Apex itself made (its marker in the content) is taken over by slug: a person's own page
        // with the same slug is never overwritten; WordPress gives the new page a free slug instead.
        const existing = await findPageBySlug(page.slug);
        const stored = existing ? await this.getPage(existing.id) : null;
        if (existing && stored?.content.includes(page.adoptIfMarked)) {
          const updated = await writePage(`/wp/v2/pages/${existing.id}`, page, `updating page ${existing.id}`);
          if (updated) return updated;
        }
      }
      const created = await writePage("/wp/v2/pages", page, `creating the page ${page.slug}`);
      if (!created) throw problemFor(404, `creating the page ${page.slug}`);
      return created;
    },

    /** The page as stored (raw content), or null when WordPress has no page with that id. */
    async getPage(id: number): Promise<StoredPage | null> {
      const doing = `reading page ${id}`;
      const answer = await call(
        doing,
        `/wp/v2/pages/${id}`,
        { query: { context: "edit", _fields: "id,slug,status,content,modified,modified_gmt" } },
        { notFoundIsNull: true },
      );
      if (answer === null) {
        // A site without the REST API answers 404 too: only a listing that works makes "no such page" true.
        const listing = await call("listing pages", "/wp/v2/pages", { query: { per_page: 1, _fields: "id" } });
        if (!Array.isArray(listing)) throw notWordPress(doing);
        return null;
      }
      const page = pageId(answer, doing);
      const modifiedUtc = text(page.modified_gmt);
      return {
        id: page.id,
        slug: text(page.slug),
        status: text(page.status),
        content: text(page.content),
        modified: modifiedUtc ? `${modifiedUtc}Z` : text(page.modified),
      };
    },

    findPageBySlug,

    /** Uploads one file to the media library with its alt text; WordPress renames a clashing filename. */
    async uploadMedia(file: MediaFile): Promise<{ id: number; sourceUrl: string }> {
      const filename = safeFilename(file.filename);
      const doing = `uploading ${filename}`;
      const answer = await call(doing, "/wp/v2/media", {
        method: "POST",
        // A raw-body upload takes its other fields from the query string.
        query: { alt_text: file.altText },
        body: file.bytes,
        headers: { "content-type": file.contentType, "content-disposition": `attachment; filename="${filename}"` },
      });
      const media = pageId(answer, doing);
      const sourceUrl = text(media.source_url);
      if (!sourceUrl) throw notWordPress(doing);
      return { id: media.id, sourceUrl };
    },
  };
}

export type WordPressClient = ReturnType<typeof wordpressClient>;
