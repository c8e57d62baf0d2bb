import type { PageWindow, PlatformAdapter, PostFields } from "./platform";

/**
 * A gig board: `/search?q=&where=&page=`, cards `article.gig`, posts at
 * `/gig/{id}`. Locally the job-board simulator's `gigs` flavor
 * (dev/simulators/job-board.ts) at HUNTER_GIGS_URL.
 */
export const gigs: PlatformAdapter = {
  id: "gigs",
  label: "Gig board",
  baseUrl: (env) => env.HUNTER_GIGS_URL || undefined,
  searchUrl(base, keyword, place, page) {
    const url = new URL("search", withSlash(base));
    url.searchParams.set("q", keyword);
    if (place) url.searchParams.set("where", place);
    url.searchParams.set("page", String(page));
    return url.toString();
  },
  readySelector: 'body[data-ready="1"]',
  postSelector: "article#gig",
  politenessMs: 1_000,
  async readListing(page) {
    return page.evaluate(() => {
      const { document } = globalThis as unknown as PageWindow;
      const cards = Array.from(document.querySelectorAll("article.gig")).map((card) => ({
        url: card.querySelector("a.gig-link")?.href ?? "",
        title: card.querySelector(".gig-title")?.textContent?.trim() ?? "",
        place: card.querySelector(".gig-place")?.textContent?.trim() ?? "",
      }));
      return { cards: cards.filter((card) => card.url), hasNext: Boolean(document.querySelector("a.next")) };
    });
  },
  async readPost(page): Promise<PostFields> {
    return page.evaluate(() => {
      const { document } = globalThis as unknown as PageWindow;
      const text = (selector: string) => document.querySelector(selector)?.textContent?.trim() ?? "";
      const tel = document.querySelector('.contact a[href^="tel:"]')?.textContent?.trim() ?? null;
      const mail = document.querySelector('.contact a[href^="mailto:"]')?.textContent?.trim() ?? null;
      const coordinates = document.querySelector("#gig")?.getAttribute("data-coordinates")?.split(",").map(Number);
      return {
        title: text("#gig .title"),
        description: text("#gig .body"),
        place: text("#gig .place"),
        postedAt: document.querySelector("#gig time.posted")?.getAttribute("datetime") ?? null,
        phone: tel,
        email: mail,
        canonicalUrl: document.querySelector('link[rel="canonical"]')?.href ?? null,
        lat: coordinates?.[0] ?? null,
        lon: coordinates?.[1] ?? null,
      };
    });
  },
};

const withSlash = (base: string) => (base.endsWith("/") ? base : `${base}/`);
