import type { Page } from "@cloudflare/puppeteer";
import { withTenant } from "../../schema/tenant-transaction";
import { sha256Hex } from "../auth/encoding";
import { fetchOutbound, OutboundStatusError } from "../outbound/fetch";
import { outboundUrlProblem } from "../outbound/url-policy";
import { problems } from "../problems";
import { findHuntDuplicate } from "../repositories/hunted-leads";
import type { ServiceContext } from "../service-context";
import { getDna } from "../services/dna";
import { spendGate } from "../services/spend-gate";
import { recordUsage } from "../services/usage";
import { HuntBrowser } from "./browser";
import { extractPost } from "./extract";
import { type StoredOutcome, storeHuntedPost } from "./hunted-leads";
import { type HuntScope, inScope, matchingKeyword } from "./match";
import { PLATFORMS } from "./platforms";
import { type PlatformAdapter, postText } from "./platforms/platform";
import { ALLOW_ALL, parseRobots, type RobotsRules } from "./robots";
import type { HunterPlatform } from "./settings";

/**
 * One hunt of one project: for each of its boards, each keyword × place,
 * up to `maxPagesPerRun` result pages; each new post that matches is read,
 * extracted, stored once (hunted-leads.ts) and scored on the queue. Boards
 * are hunted one after another in one browser. A board that refuses (429
 * after backing off, 403), hangs or cannot be read fails alone, with its
 * reason in the result; the others go on. Progress goes to the ticket per
 * board and page. The browser's seconds are billed; at the spend cap the
 * hunt stops first of all spending (spend-gate.ts, kind `hunting`).
 */
export interface PlatformResult {
  platform: HunterPlatform;
  label: string;
  status: "completed" | "failed" | "stopped";
  error?: string;
  pages: number;
  /** Posts opened and read. */
  read: number;
  /** Matching posts that became new leads. */
  created: number;
  /** Matching posts that were leads already (this run, an earlier one, or a form). */
  duplicates: number;
  /** Posts that did not match the keywords or places. */
  notMatching: number;
  /** Links robots.txt forbids (never opened). */
  disallowed: number;
  /** Cards linking off the board (never opened). */
  offBoard: number;
}

/** What the bench reads (bench/hunt.ts): pages opened and how long reading them took. */
export interface HuntTiming {
  /** Result and post pages opened (politeness waits excluded from each, not from the run). */
  pages: number;
  elapsedMs: number;
  /** Opening a page until the board's scripts had rendered it, per page. */
  renderMs: number[];
  /** One post's extraction (the model, or the board's markup), per post read. */
  extractMs: number[];
  /** Browser seconds billed, page by page. */
  billedSeconds: number;
}

export interface HuntResult {
  projectId: string;
  timing: HuntTiming;
  platforms: PlatformResult[];
  created: number;
  duplicates: number;
  leadIds: string[];
  browserSeconds: number;
  stopped?: string;
}

export type HuntContext = Pick<ServiceContext, "env" | "db" | "actor" | "publish" | "log"> & {
  runKey: string;
  progress(percent: number, message: string): Promise<void>;
};

/** How often a refusing board is asked again before it counts as blocked. */
const RETRIES_AFTER_429 = 2;
const MAX_BACKOFF_MS = 10_000;
/**
 * Pages one run opens at most, all boards together: a run must end well
 * inside the queue's wall time (15 min) with its politeness waits. What is
 * left is found by the next run (known posts are skipped without a page).
 */
export const MAX_PAGES_PER_RUN = 120;
/** A board that asks for a longer gap between pages than this is not hunted (one run could not read it). */
const MAX_CRAWL_DELAY_SECONDS = 30;

class PlatformFailure extends Error {}
class SpendStop extends Error {}

export async function hunt(projectId: string, context: HuntContext): Promise<HuntResult> {
  const { dna } = await getDna(projectId, context);
  const settings = dna.modules.leadHunter;
  if (settings.keywords.length === 0) {
    throw problems.validation([
      { field: "modules.leadHunter.keywords", message: "name at least one keyword to hunt for" },
    ]);
  }
  const places = settings.places.length > 0 ? settings.places : [...dna.geoScope.cities, ...dna.geoScope.areas];
  const scope: HuntScope = {
    keywords: settings.keywords,
    places,
    radiusKm: settings.radiusKm,
    center: settings.center,
  };
  const speedToLead = dna.modules.speedToLead;
  const browser = new HuntBrowser(context.env.BROWSER);
  const results: PlatformResult[] = [];
  const leadIds: string[] = [];
  const timing: HuntTiming = { pages: 0, elapsedMs: 0, renderMs: [], extractMs: [], billedSeconds: 0 };
  // Each page's browser seconds are billed as it closes, so the spend gate sees this run's own cost as it grows;
  // keyed by run and page, so a retried run does not bill a page twice.
  const bill = async (url: string, seconds: number) => {
    if (seconds <= 0) return;
    timing.billedSeconds += seconds;
    await recordUsage(
      {
        projectId,
        resource: "browser_second",
        quantity: seconds,
        source: "sniper_agent",
        idempotencyKey: `hunt:${context.runKey}:${await sha256Hex(url)}`,
      },
      context,
    );
  };
  const started = Date.now();
  let stopped: string | undefined;
  try {
    for (const [index, id] of settings.platforms.entries()) {
      const adapter = PLATFORMS[id];
      const result: PlatformResult = {
        platform: id,
        label: adapter.label,
        status: "completed",
        pages: 0,
        read: 0,
        created: 0,
        duplicates: 0,
        notMatching: 0,
        disallowed: 0,
        offBoard: 0,
      };
      results.push(result);
      if (stopped) {
        result.status = "stopped";
        result.error = stopped;
        continue;
      }
      const share = { from: index / settings.platforms.length, size: 1 / settings.platforms.length };
      try {
        await huntPlatform(adapter, result, {
          projectId,
          scope,
          maxPages: settings.maxPagesPerRun,
          browser,
          share,
          leadIds,
          timing,
          bill,
          known: async (url) =>
            Boolean(
              await withTenant(context.db, context.actor.auth.tenantId, (tx) =>
                findHuntDuplicate(tx, projectId, { url, phone: null, email: null }),
              ),
            ),
          store: (found) =>
            storeHuntedPost(
              projectId,
              found,
              { defaultCountry: speedToLead.defaultCountry, dedupWindowMinutes: speedToLead.dedupWindowMinutes },
              context,
            ),
          context,
        });
      } catch (error) {
        if (error instanceof SpendStop) {
          stopped = error.message;
          result.status = "stopped";
          result.error = error.message;
          continue;
        }
        result.status = "failed";
        result.error = error instanceof PlatformFailure ? error.message : `${adapter.label} failed: ${describe(error)}`;
        context.log.warn("hunt.platform_failed", { projectId, platform: id, error: result.error });
      }
    }
  } finally {
    await browser.release();
  }
  const created = results.reduce((sum, r) => sum + r.created, 0);
  const duplicates = results.reduce((sum, r) => sum + r.duplicates, 0);
  await context.progress(100, `Done: ${created} new, ${duplicates} already known${stopped ? ` (${stopped})` : ""}`);
  timing.elapsedMs = Date.now() - started;
  return {
    projectId,
    timing,
    platforms: results,
    created,
    duplicates,
    leadIds,
    browserSeconds: Math.round(timing.billedSeconds * 10) / 10,
    ...(stopped ? { stopped } : {}),
  };
}

interface PlatformRun {
  projectId: string;
  scope: HuntScope;
  maxPages: number;
  browser: HuntBrowser;
  share: { from: number; size: number };
  leadIds: string[];
  timing: HuntTiming;
  bill(url: string, seconds: number): Promise<void>;
  /** A lead hunted before from this address: counted as known without opening the page again. */
  known(url: string): Promise<boolean>;
  store(found: Parameters<typeof storeHuntedPost>[1]): Promise<StoredOutcome>;
  context: HuntContext;
}

async function huntPlatform(adapter: PlatformAdapter, result: PlatformResult, run: PlatformRun): Promise<void> {
  const { context } = run;
  const base = adapter.baseUrl(context.env);
  if (!base) throw new PlatformFailure(`${adapter.label} is not configured on this server`);
  const origin = new URL(base).origin;
  const robots = await readRobots(adapter, origin, context.env);
  if ((robots.crawlDelaySeconds ?? 0) > MAX_CRAWL_DELAY_SECONDS) {
    throw new PlatformFailure(
      `${adapter.label} asks for ${robots.crawlDelaySeconds} s between pages; the hunter waits at most ${MAX_CRAWL_DELAY_SECONDS} s: not hunted`,
    );
  }
  const gapMs = Math.max(adapter.politenessMs, (robots.crawlDelaySeconds ?? 0) * 1000);
  const timeoutMs = Number(context.env.HUNTER_PAGE_TIMEOUT_MS) || 15_000;
  let lastVisit = 0;
  const seen = new Set<string>();

  /** Opens a page of this board, politely, and reads it; refusals and hangs fail the board. */
  const open = async <T>(url: string, read: (page: Page) => Promise<T>): Promise<T> => {
    const problem = outboundUrlProblem(url, { appEnv: context.env.APP_ENV, field: "url" });
    if (problem || new URL(url).origin !== origin)
      throw new PlatformFailure(`${adapter.label} linked off the board: ${url}`);
    if (run.timing.pages >= MAX_PAGES_PER_RUN) {
      throw new SpendStop(`this run read its ${MAX_PAGES_PER_RUN} pages; the next run goes on from there`);
    }
    const decision = await spendGate(run.projectId, "hunting", context);
    if (!decision.allowed) throw new SpendStop(decision.detail);
    for (let attempt = 0; ; attempt++) {
      const wait = lastVisit + gapMs - Date.now();
      if (wait > 0) await sleep(wait);
      lastVisit = Date.now();
      let visit: Awaited<ReturnType<HuntBrowser["visit"]>>;
      const opening = Date.now();
      try {
        visit = await run.browser.visit(url, adapter.readySelector, timeoutMs);
        run.timing.pages++;
        run.timing.renderMs.push(Date.now() - opening);
      } catch (error) {
        throw new PlatformFailure(
          isTimeout(error)
            ? `${adapter.label} did not answer within ${Math.round(timeoutMs / 1000)} s (${pathOf(url)})`
            : `${adapter.label} could not be read: ${describe(error)}`,
        );
      } finally {
        // A page that hung held the browser as long as one that rendered.
        await run.bill(url, (Date.now() - opening) / 1000);
      }
      try {
        // Where the browser ended up, after any redirect or script navigation: still this board, still allowed.
        const landed = visit.page.url();
        if (
          outboundUrlProblem(landed, { appEnv: context.env.APP_ENV, field: "url" }) ||
          new URL(landed).origin !== origin
        ) {
          throw new PlatformFailure(`${adapter.label} sent the browser off the board (${pathOf(url)})`);
        }
        if (visit.status === 429 && attempt < RETRIES_AFTER_429) {
          const backoff = Math.min(MAX_BACKOFF_MS, (visit.retryAfterSeconds ?? 2 ** attempt) * 1000);
          await sleep(backoff);
          continue;
        }
        if (visit.status === 429) {
          throw new PlatformFailure(
            `${adapter.label} blocked the hunter: 429 Too Many Requests after ${attempt + 1} tries (${pathOf(url)})`,
          );
        }
        if (visit.status === 403) throw new PlatformFailure(`${adapter.label} blocked the hunter: 403 Forbidden`);
        if (visit.status >= 400 || visit.status === 0) {
          throw new PlatformFailure(`${adapter.label} answered ${visit.status || "nothing"} for ${pathOf(url)}`);
        }
        return await read(visit.page);
      } finally {
        await visit.page.close().catch(() => undefined);
      }
    }
  };

  const combos = run.scope.keywords.flatMap((keyword) =>
    (run.scope.places.length > 0 ? run.scope.places : [""]).map((place) => ({ keyword, place })),
  );
  for (const [comboIndex, { keyword, place }] of combos.entries()) {
    for (let pageNumber = 1; pageNumber <= run.maxPages; pageNumber++) {
      const searchUrl = adapter.searchUrl(base, keyword, place, pageNumber);
      if (!robots.allowed(pathOf(searchUrl))) {
        result.disallowed++;
        break;
      }
      const listing = await open(searchUrl, (page) => adapter.readListing(page));
      result.pages++;
      for (const card of listing.cards) {
        const url = canonical(card.url);
        if (seen.has(url)) continue;
        seen.add(url);
        if (new URL(url).origin !== origin || outboundUrlProblem(url, { appEnv: context.env.APP_ENV, field: "url" })) {
          result.offBoard++;
          continue;
        }
        if (!robots.allowed(pathOf(url))) {
          result.disallowed++;
          continue;
        }
        if (await run.known(url)) {
          result.duplicates++;
          continue;
        }
        await huntPost(adapter, url, card, keyword, open, result, run);
        // A sign of life per post: a long page of results never outlasts the ticket's lease.
        await context.progress(
          Math.min(99, Math.round(run.share.from * 100)),
          `${adapter.label}: reading "${keyword}"${place ? ` in ${place}` : ""} · ${result.created} new, ${result.duplicates} known`,
        );
      }
      const done = (comboIndex + pageNumber / run.maxPages) / combos.length;
      await context.progress(
        Math.min(99, Math.round((run.share.from + run.share.size * done) * 100)),
        `${adapter.label}: page ${pageNumber} for "${keyword}"${place ? ` in ${place}` : ""} · ${result.created} new, ${result.duplicates} known, ${result.notMatching} not matching`,
      );
      if (!listing.hasNext) break;
    }
  }
}

/** One post: opened, read, extracted, matched, stored. */
async function huntPost(
  adapter: PlatformAdapter,
  url: string,
  card: { title: string; place: string },
  keyword: string,
  open: <T>(url: string, read: (page: Page) => Promise<T>) => Promise<T>,
  result: PlatformResult,
  run: PlatformRun,
): Promise<void> {
  const { context } = run;
  const fetchedAt = new Date().toISOString();
  const page = await open(url, async (p) => ({
    fields: await adapter.readPost(p),
    text: await postText(p, adapter.postSelector),
    screenshot: new Uint8Array(await p.screenshot({ type: "png" })),
  }));
  result.read++;
  const extracting = Date.now();
  const { post, provider, model } = await extractPost(
    { url, text: page.text, fields: page.fields },
    { places: run.scope.places },
    { ...context, projectId: run.projectId, runKey: `${context.runKey}:${url}` },
  );
  run.timing.extractMs.push(Date.now() - extracting);
  // The board's own markup wins where it is definite: a model may not move a post or rename its address.
  const place = page.fields.place || post.place || card.place || null;
  // Contact details only as the page itself shows them: a model's answer (or a post's trick) cannot add a number.
  const contact = shownOnPage(post.contact, `${page.text}\n${page.fields.phone ?? ""}\n${page.fields.email ?? ""}`);
  const coordinates =
    page.fields.lat !== null && page.fields.lon !== null ? { lat: page.fields.lat, lon: page.fields.lon } : null;
  const about = `${post.title}\n${post.description}`;
  const matched = matchingKeyword(about, run.scope.keywords);
  if (!matched || !inScope(place, coordinates, run.scope)) {
    result.notMatching++;
    return;
  }
  // A canonical link counts only for the page itself (the same path): it may drop a query, never name another post.
  const canonicalUrl = samePage(page.fields.canonicalUrl, url) ?? url;
  const stored = await run.store({
    platform: adapter.id,
    url: canonicalUrl,
    keyword: matched || keyword,
    place,
    fetchedAt,
    sourceText: page.text,
    screenshot: page.screenshot,
    post: { ...post, contact },
    extractedBy: { provider, model },
    runId: context.runKey,
  });
  if (stored.outcome === "created") {
    result.created++;
    run.leadIds.push(stored.leadId);
  } else {
    result.duplicates++;
  }
}

async function readRobots(adapter: PlatformAdapter, origin: string, env: Env): Promise<RobotsRules> {
  try {
    const response = await fetchOutbound(
      `${origin}/robots.txt`,
      { headers: { "user-agent": "ApexHunter/1.0" } },
      { appEnv: env.APP_ENV, field: "platform", what: `${adapter.label}'s robots.txt`, timeoutMs: 10_000 },
    );
    return parseRobots(await response.text());
  } catch (error) {
    // RFC 9309: a robots.txt that is missing (4xx) allows everything; one that cannot be read (5xx, no answer) allows nothing.
    if (error instanceof OutboundStatusError && error.status >= 400 && error.status < 500 && error.status !== 429) {
      return ALLOW_ALL;
    }
    throw new PlatformFailure(`${adapter.label}'s robots.txt could not be read (${describe(error)}): not hunted`);
  }
}

/** The address without fragment; the query stays (some boards address posts by it). */
function canonical(url: string): string {
  const parsed = new URL(url);
  parsed.hash = "";
  return parsed.toString();
}

const samePage = (candidate: string | null, url: string) => {
  if (!candidate) return undefined;
  try {
    const [a, b] = [new URL(candidate), new URL(url)];
    const path = (u: URL) => u.pathname.replace(/\/+$/, "");
    return a.origin === b.origin && path(a) === path(b) ? canonical(candidate) : undefined;
  } catch {
    return undefined;
  }
};

/** The extracted phone and email, kept only where the page's own text shows them. */
export function shownOnPage(contact: { phone: string | null; email: string | null }, shown: string) {
  const digits = shown.replace(/\D/g, "");
  const phoneDigits = contact.phone?.replace(/\D/g, "") ?? "";
  // The national part (the last 10 digits) must appear as written on the page, whatever its punctuation.
  const phone = phoneDigits.length >= 7 && digits.includes(phoneDigits.slice(-10)) ? contact.phone : null;
  const email = contact.email && shown.toLowerCase().includes(contact.email.toLowerCase()) ? contact.email : null;
  return { phone, email };
}

const pathOf = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isTimeout = (error: unknown) =>
  error instanceof Error && /timeout|timed out/i.test(`${error.name} ${error.message}`);
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
