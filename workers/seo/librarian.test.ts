import { describe, expect, it } from "vitest";
import { linksSection, planLinks } from "./librarian";

const pages = [
  { slug: "drains-austin", title: "Drains in Austin", service: "drains", place: "Austin" },
  { slug: "drains-round-rock", title: "Drains in Round Rock", service: "drains", place: "Round Rock" },
  { slug: "drains-cedar-park", title: "Drains in Cedar Park", service: "drains", place: "Cedar Park" },
  { slug: "heaters-austin", title: "Water heaters in Austin", service: "heaters", place: "Austin" },
];
const anchors = [
  { osmId: "n/1", name: "A", kind: "park", place: "Austin", lat: 30.27, lon: -97.74 },
  { osmId: "n/2", name: "B", kind: "park", place: "Round Rock", lat: 30.51, lon: -97.68 },
  { osmId: "n/3", name: "C", kind: "park", place: "Cedar Park", lat: 30.5, lon: -97.82 },
];

describe("the librarian's links", () => {
  it("links a page to its service in the nearest other places and to the other services in its place", () => {
    const links = planLinks(pages, anchors, 1);
    const austin = links.get("drains-austin")?.map((l) => l.slug);
    expect(austin).toContain("heaters-austin");
    expect(austin).toHaveLength(2);
  });

  it("leaves no page without a link to it", () => {
    const links = planLinks(pages, anchors, 1);
    for (const page of pages) {
      expect([...links.values()].some((list) => list.some((l) => l.slug === page.slug))).toBe(true);
    }
  });

  it("links only to pages of the set (no broken links)", () => {
    const slugs = new Set(pages.map((p) => p.slug));
    for (const list of planLinks(pages, anchors).values())
      for (const link of list) expect(slugs.has(link.slug)).toBe(true);
  });

  it("writes the links as escaped HTML", () => {
    const html = linksSection(
      [{ slug: "a", title: "Drains & <more>" }],
      (slug) => `https://site.test/?pagename=${slug}`,
    );
    expect(html).toContain('<a href="https://site.test/?pagename=a">Drains &amp; &lt;more&gt;</a>');
  });
});
