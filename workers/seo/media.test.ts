import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { anchorMapSvg, renderAnchorMap } from "./media";
import type { SeoAnchor } from "./types";

const courthouse: SeoAnchor = {
  osmId: "way/1001",
  name: "Williamson County Courthouse",
  kind: "courthouse",
  place: "Round Rock",
  lat: 30.5083,
  lon: -97.6789,
};
const nearby: SeoAnchor[] = [
  {
    osmId: "node/2002",
    name: "Round Rock Public Library",
    kind: "library",
    place: "Round Rock",
    lat: 30.5091,
    lon: -97.6775,
  },
  { osmId: "way/3003", name: "Old Settlers Park", kind: "park", place: "Round Rock", lat: 30.5353, lon: -97.6402 },
];

/** A PNG's width and height, from its IHDR chunk (bytes 16–23, big-endian). */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

describe("renderAnchorMap", () => {
  it("draws the anchor and its neighbours as a PNG of the size it reports, with alt text naming them", async () => {
    const map = await renderAnchorMap(env.BROWSER, courthouse, nearby);
    expect([...map.png.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(pngSize(map.png)).toEqual({ width: map.width, height: map.height });
    // A blank page compresses to a few KB; grid, markers and labels make it larger.
    expect(map.png.byteLength).toBeGreaterThan(15_000);
    expect(map.altText).toBe(
      "Map of the area around Williamson County Courthouse (courthouse) in Round Rock, with Round Rock Public Library and Old Settlers Park nearby.",
    );
  });

  it("escapes names in the drawing, so markup in a place's name is text and not SVG", () => {
    const odd: SeoAnchor = { ...courthouse, osmId: "node/9", name: `Bob's <b>"Court"</b> & Annex</svg><script>` };
    const svg = anchorMapSvg(odd, [{ ...nearby[0], name: "<img src=x onerror=alert(1)>" } as SeoAnchor], "alt <text>");
    expect(svg).toContain("Bob&apos;s &lt;b&gt;&quot;Court&quot;&lt;/b&gt; &amp; Annex&lt;/svg&gt;&lt;script&gt;");
    expect(svg).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(svg).not.toMatch(/<(script|b|img)\b/);
    expect(svg.match(/<\/svg>/g)).toHaveLength(1);
  });
});
