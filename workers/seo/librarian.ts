import type { SeoAnchor } from "./types";

/**
 * Librarian: internal links between the project's pages — each page links to
 * the same service in its nearest other places and to the other services in
 * its own place — so no page is an orphan and every link points at a page
 * the pipeline is publishing (no broken links).
 */
export interface LinkablePage {
  slug: string;
  title: string;
  service: string;
  place: string;
}

export interface PageLink {
  slug: string;
  title: string;
}

const centre = (anchors: SeoAnchor[]) =>
  anchors.length === 0
    ? undefined
    : {
        lat: anchors.reduce((sum, a) => sum + a.lat, 0) / anchors.length,
        lon: anchors.reduce((sum, a) => sum + a.lon, 0) / anchors.length,
      };

const distance = (a?: { lat: number; lon: number }, b?: { lat: number; lon: number }) =>
  a && b ? Math.hypot(a.lat - b.lat, (a.lon - b.lon) * Math.cos((a.lat * Math.PI) / 180)) : Number.POSITIVE_INFINITY;

export function planLinks(pages: LinkablePage[], anchors: SeoAnchor[], nearestPlaces = 2): Map<string, PageLink[]> {
  const centres = new Map(
    [...new Set(pages.map((p) => p.place))].map((place) => [place, centre(anchors.filter((a) => a.place === place))]),
  );
  const links = new Map<string, PageLink[]>(pages.map((page) => [page.slug, []]));
  const add = (from: LinkablePage, to: LinkablePage) => {
    const list = links.get(from.slug) ?? [];
    if (from.slug !== to.slug && !list.some((link) => link.slug === to.slug))
      list.push({ slug: to.slug, title: to.title });
    links.set(from.slug, list);
  };
  for (const page of pages) {
    const sameService = pages
      .filter((other) => other.service === page.service && other.place !== page.place)
      .sort(
        (a, b) =>
          distance(centres.get(page.place), centres.get(a.place)) -
          distance(centres.get(page.place), centres.get(b.place)),
      );
    for (const other of sameService.slice(0, nearestPlaces)) add(page, other);
    for (const other of pages.filter((o) => o.place === page.place && o.service !== page.service)) add(page, other);
  }
  // A page nobody links to yet gets a link from the first page of its own service elsewhere (or any page).
  for (const page of pages) {
    const inbound = [...links.values()].some((list) => list.some((link) => link.slug === page.slug));
    if (inbound || pages.length < 2) continue;
    const from =
      pages.find((o) => o.service === page.service && o.slug !== page.slug) ?? pages.find((o) => o.slug !== page.slug);
    if (from) add(from, page);
  }
  return links;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** The links as a section at the end of the page; `hrefOf` knows the site's addresses. */
export function linksSection(links: PageLink[], hrefOf: (slug: string) => string): string {
  if (links.length === 0) return "";
  const items = links
    .map((link) => `<li><a href="${escapeHtml(hrefOf(link.slug))}">${escapeHtml(link.title)}</a></li>`)
    .join("");
  return `<nav class="apex-related" aria-label="Related services and places"><h2>Nearby and related</h2><ul>${items}</ul></nav>`;
}
