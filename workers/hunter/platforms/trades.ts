import type { PageWindow, PlatformAdapter, PostFields } from "./platform";

/**
 * A trades job board: `/jobs?keyword=&location=&p=`, cards `li.job-card`,
 * posts at `/jobs/{id}` with a definition list of details. Locally the
 * job-board simulator's `trades` flavor at HUNTER_TRADES_URL.
 */
export const trades: PlatformAdapter = {
  id: "trades",
  label: "Trades board",
  baseUrl: (env) => env.HUNTER_TRADES_URL || undefined,
  searchUrl(base, keyword, place, page) {
    const url = new URL("jobs", base.endsWith("/") ? base : `${base}/`);
    url.searchParams.set("keyword", keyword);
    if (place) url.searchParams.set("location", place);
    url.searchParams.set("p", String(page));
    return url.toString();
  },
  readySelector: 'body[data-ready="1"]',
  postSelector: "section.job",
  politenessMs: 1_000,
  async readListing(page) {
    return page.evaluate(() => {
      const { document } = globalThis as unknown as PageWindow;
      const cards = Array.from(document.querySelectorAll("li.job-card")).map((card) => ({
        url: card.querySelector("a.job-title")?.href ?? "",
        title: card.querySelector("a.job-title")?.textContent?.trim() ?? "",
        place: card.querySelector(".job-location")?.textContent?.trim() ?? "",
      }));
      return { cards: cards.filter((card) => card.url), hasNext: Boolean(document.querySelector('a[rel="next"]')) };
    });
  },
  async readPost(page): Promise<PostFields> {
    return page.evaluate(() => {
      const { document } = globalThis as unknown as PageWindow;
      const job = document.querySelector("section.job");
      const text = (selector: string) => job?.querySelector(selector)?.textContent?.trim() ?? "";
      const contact = text("dd.contact");
      const coordinates = job?.getAttribute("data-coordinates")?.split(",").map(Number);
      return {
        title: text("h1"),
        description: text(".description"),
        place: text("dd.location"),
        postedAt: job?.querySelector("dd.posted")?.getAttribute("data-iso") ?? null,
        // The board shows contact details as one line of text: the phone and the email are read out of it.
        phone: contact.match(/\+?\d[\d\s().-]{8,}\d/)?.[0]?.trim() ?? null,
        email: contact.match(/[\w.+-]+@[\w-]+(\.[\w-]+)+/)?.[0] ?? null,
        canonicalUrl: document.querySelector('link[rel="canonical"]')?.href ?? null,
        lat: coordinates?.[0] ?? null,
        lon: coordinates?.[1] ?? null,
      };
    });
  },
};
