import type { Page } from "@cloudflare/puppeteer";
import type { HunterPlatform } from "../settings";

/** One card on a result page: enough to decide whether to open the post. */
export interface ListingCard {
  url: string;
  title: string;
  place: string;
}

/** What the board's own markup says about a post (the rule-based extraction). */
export interface PostFields {
  title: string;
  description: string;
  place: string;
  postedAt: string | null;
  phone: string | null;
  email: string | null;
  canonicalUrl: string | null;
  lat: number | null;
  lon: number | null;
}

/**
 * A job board Apex hunts on: one file each. The adapter knows the board's
 * addresses and markup; the hunt (hunter/hunt.ts) does the rest — robots.txt,
 * politeness, dedupe, extraction, storage — the same way for every board.
 */
export interface PlatformAdapter {
  id: HunterPlatform;
  label: string;
  /** Where the board lives: system configuration (an env var), never tenant data. */
  baseUrl(env: Env): string | undefined;
  /** The board's result page for one keyword in one place; pages count from 1. */
  searchUrl(base: string, keyword: string, place: string, page: number): string;
  /** Present once the board's scripts have rendered a result or post page. */
  readySelector: string;
  /** The post itself on its page (not the board's header, menus and footer): what the model reads. */
  postSelector: string;
  /** The least gap between two pages of this board, when its robots.txt names none. */
  politenessMs: number;
  readListing(page: Page): Promise<{ cards: ListingCard[]; hasNext: boolean }>;
  readPost(page: Page): Promise<PostFields>;
}

/**
 * The little of the DOM the adapters read, typed here because the Worker's
 * types are not the browser's. Functions handed to `page.evaluate` run in the
 * page and must not close over anything: each one reaches `document` itself
 * through `(globalThis as unknown as PageWindow).document`.
 */
export interface PageElement {
  textContent: string | null;
  href?: string;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
}
export interface PageWindow {
  document: {
    body: { innerText: string };
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): ArrayLike<PageElement>;
  };
}

/** The visible text of the post on its page (the whole page if the board moved it), for the model and the lead's provenance. */
export async function postText(page: Page, selector: string): Promise<string> {
  return page.evaluate((postSelector: string) => {
    const { document } = globalThis as unknown as PageWindow;
    const post = document.querySelector(postSelector) as (PageElement & { innerText?: string }) | null;
    // The rendered text on purpose: its line breaks between blocks are what the model and the rules read.
    // biome-ignore lint/performance/useDomNodeTextContent: rendered text, not the DOM's raw text
    const text = post?.innerText ?? document.body.innerText;
    return text.replace(/\n{3,}/g, "\n\n").trim();
  }, selector);
}
