/**
 * The Media stage's map (#17): a static image of the area around a page's
 * anchor, drawn from the anchors' coordinates alone — no tile server is
 * reachable from here — as an SVG that Browser Rendering turns into a PNG.
 */
import type { BrowserWorker } from "@cloudflare/puppeteer";
import type { SeoAnchor } from "./types";

export interface AnchorMap {
  png: Uint8Array;
  altText: string;
  width: number;
  height: number;
}

const WIDTH = 1200;
const HEIGHT = 800;
/** Room for the tick labels around the drawing. */
const MARGIN = 48;
/** The least distance shown either side of the anchor, so an anchor alone still shows its neighbourhood. */
const MIN_HALF_SPAN_KM = 1;
/** Alt text names at most this many nearby places; more would read as a list, not a description. */
const MAX_NAMED_NEARBY = 5;
const KM_PER_DEGREE_LAT = 110.574;
const KM_PER_DEGREE_LON_AT_EQUATOR = 111.32;
const FONT = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif";

/** puppeteer is a large import: loaded when a map is first drawn, never on a cold start of the call path. */
const loadPuppeteer = async () => (await import("@cloudflare/puppeteer")).default;

const escapeXml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c);

/** The step of 1, 2 or 5 × 10^k nearest above `rough`. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/** The largest 1, 2 or 5 × 10^k at most `limit`. */
function niceAtMost(limit: number): number {
  const power = 10 ** Math.floor(Math.log10(limit));
  const fraction = limit / power;
  return (fraction >= 5 ? 5 : fraction >= 2 ? 2 : 1) * power;
}

const decimalsFor = (step: number) => Math.max(0, -Math.floor(Math.log10(step) + 1e-9));

function formatDegrees(value: number, decimals: number, positive: string, negative: string): string {
  return `${Math.abs(value).toFixed(decimals)}°${value >= 0 ? positive : negative}`;
}

/** "0.5 km", "2 km": the scale's length without float noise. */
const formatKm = (km: number) => `${Number(km.toPrecision(3))} km`;

function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/** "Map of the area around X (courthouse) in Round Rock, with A and B nearby." */
export function anchorMapAltText(anchor: SeoAnchor, nearby: SeoAnchor[]): string {
  const kind = anchor.kind.replaceAll("_", " ");
  const around = `Map of the area around ${anchor.name}${kind ? ` (${kind})` : ""}${anchor.place ? ` in ${anchor.place}` : ""}`;
  const names = [...new Set(nearby.map((other) => other.name).filter((name) => name && name !== anchor.name))];
  if (names.length === 0) return `${around}.`;
  const named = names.slice(0, MAX_NAMED_NEARBY);
  const rest = names.length - named.length;
  const list = rest > 0 ? `${named.join(", ")} and ${rest} more place${rest === 1 ? "" : "s"}` : joinNames(named);
  return `${around}, with ${list} nearby.`;
}

interface Projection {
  x(lon: number): number;
  y(lat: number): number;
  pxPerKm: number;
  lonRange: [number, number];
  latRange: [number, number];
}

/**
 * Equirectangular around the anchor (kilometres east and north of it), the
 * anchor in the middle, scaled so every nearby anchor fits inside the margins.
 * Accurate to well under a percent over the few kilometres a page's map shows.
 */
function project(anchor: SeoAnchor, nearby: SeoAnchor[]): Projection {
  const kmPerDegreeLon = KM_PER_DEGREE_LON_AT_EQUATOR * Math.cos((anchor.lat * Math.PI) / 180);
  let halfEastKm = MIN_HALF_SPAN_KM;
  let halfNorthKm = MIN_HALF_SPAN_KM;
  for (const other of nearby) {
    // A little room past the farthest marker, for its label.
    halfEastKm = Math.max(halfEastKm, Math.abs(other.lon - anchor.lon) * kmPerDegreeLon * 1.2);
    halfNorthKm = Math.max(halfNorthKm, Math.abs(other.lat - anchor.lat) * KM_PER_DEGREE_LAT * 1.2);
  }
  const innerWidth = WIDTH - 2 * MARGIN;
  const innerHeight = HEIGHT - 2 * MARGIN;
  const pxPerKm = Math.min(innerWidth / 2 / halfEastKm, innerHeight / 2 / halfNorthKm);
  const halfLon = innerWidth / 2 / pxPerKm / kmPerDegreeLon;
  const halfLat = innerHeight / 2 / pxPerKm / KM_PER_DEGREE_LAT;
  return {
    x: (lon) => WIDTH / 2 + (lon - anchor.lon) * kmPerDegreeLon * pxPerKm,
    y: (lat) => HEIGHT / 2 - (lat - anchor.lat) * KM_PER_DEGREE_LAT * pxPerKm,
    pxPerKm,
    lonRange: [anchor.lon - halfLon, anchor.lon + halfLon],
    latRange: [anchor.lat - halfLat, anchor.lat + halfLat],
  };
}

/** Multiples of `step` inside `[from, to]`. */
function ticks([from, to]: [number, number], step: number): number[] {
  const out: number[] = [];
  for (let index = Math.ceil(from / step); index * step <= to; index++) out.push(index * step);
  return out;
}

function grid(projection: Projection): string {
  const lonStep = niceStep((projection.lonRange[1] - projection.lonRange[0]) / 6);
  const latStep = niceStep((projection.latRange[1] - projection.latRange[0]) / 5);
  const parts: string[] = [];
  for (const lon of ticks(projection.lonRange, lonStep)) {
    const x = projection.x(lon).toFixed(1);
    const label = escapeXml(formatDegrees(lon, decimalsFor(lonStep), "E", "W"));
    parts.push(`<line x1="${x}" y1="${MARGIN}" x2="${x}" y2="${HEIGHT - MARGIN}" class="grid"/>`);
    parts.push(`<text x="${x}" y="${MARGIN - 10}" text-anchor="middle" class="tick">${label}</text>`);
    parts.push(`<text x="${x}" y="${HEIGHT - MARGIN + 22}" text-anchor="middle" class="tick">${label}</text>`);
  }
  for (const lat of ticks(projection.latRange, latStep)) {
    const y = projection.y(lat).toFixed(1);
    const label = escapeXml(formatDegrees(lat, decimalsFor(latStep), "N", "S"));
    parts.push(`<line x1="${MARGIN}" y1="${y}" x2="${WIDTH - MARGIN}" y2="${y}" class="grid"/>`);
    // Written upwards along the left and right edges, so a long label takes no width from the map.
    for (const x of [MARGIN - 8, WIDTH - MARGIN + 21]) {
      parts.push(
        `<text x="${x}" y="${y}" text-anchor="middle" class="tick" transform="rotate(-90 ${x} ${y})">${label}</text>`,
      );
    }
  }
  return parts.join("");
}

function scaleBar(projection: Projection): string {
  const km = niceAtMost((WIDTH - 2 * MARGIN) / 5 / projection.pxPerKm);
  const length = km * projection.pxPerKm;
  const x = MARGIN + 20;
  const y = HEIGHT - MARGIN - 24;
  return [
    `<rect x="${x - 10}" y="${y - 28}" width="${(length + 20).toFixed(1)}" height="44" class="panel"/>`,
    `<path d="M${x} ${y - 6} V${y} H${(x + length).toFixed(1)} V${y - 6}" class="scale"/>`,
    `<text x="${x}" y="${y - 12}" class="tick">0</text>`,
    `<text x="${(x + length).toFixed(1)}" y="${y - 12}" text-anchor="end" class="tick">${escapeXml(formatKm(km))}</text>`,
  ].join("");
}

function northArrow(): string {
  const x = WIDTH - MARGIN - 36;
  const y = MARGIN + 24;
  return [
    `<circle cx="${x}" cy="${y + 22}" r="30" class="panel"/>`,
    `<path d="M${x} ${y} L${x + 11} ${y + 36} L${x} ${y + 28} L${x - 11} ${y + 36} Z" class="north"/>`,
    `<text x="${x}" y="${y + 50}" text-anchor="middle" class="north-label">N</text>`,
  ].join("");
}

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const overlap = (a: Box, b: Box) =>
  Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) *
  Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));

/** Average glyph width as a share of the font size, a little generous so estimated boxes cover the text. */
const GLYPH_WIDTH = 0.62;

/**
 * The markers, then their labels: each label goes right, left, above or
 * below its marker, whichever first stays on the map clear of every marker,
 * the caption, scale bar and north arrow, and the labels already placed (the anchor's first, then nearest first);
 * when none is clear, the least covered. Text widths are estimated: there is
 * no layout engine here, and Chromium only draws the result.
 */
function markersAndLabels(projection: Projection, anchor: SeoAnchor, nearby: SeoAnchor[], furniture: Box[]): string {
  const frame: Box = { left: MARGIN, top: MARGIN, right: WIDTH - MARGIN, bottom: HEIGHT - MARGIN };
  const distance = (place: SeoAnchor) => Math.hypot(place.lat - anchor.lat, place.lon - anchor.lon);
  const places = [
    { place: anchor, main: true },
    ...[...nearby].sort((a, b) => distance(a) - distance(b)).map((place) => ({ place, main: false })),
  ].map(({ place, main }) => ({
    place,
    main,
    x: projection.x(place.lon),
    y: projection.y(place.lat),
    radius: main ? 11 : 6,
  }));
  const taken: Box[] = [
    ...furniture,
    ...places.map(({ x, y, radius }) => ({ left: x - radius, top: y - radius, right: x + radius, bottom: y + radius })),
  ];
  const circles: string[] = [];
  const labels: string[] = [];
  for (const { main, x, y, radius } of [...places].reverse()) {
    circles.push(
      `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${radius}" class="${main ? "anchor" : "nearby"}"/>`,
    );
  }
  for (const { place, main, x, y, radius } of places) {
    const kind = main ? place.kind.replaceAll("_", " ") : "";
    const size = main ? 20 : 15;
    const width = place.name.length * size * GLYPH_WIDTH + (kind ? 8 + kind.length * 15 * GLYPH_WIDTH : 0);
    const height = size + 4;
    const gap = radius + 6;
    const options = [
      { anchor: "start", textX: x + gap, textY: y, box: { left: x + gap, right: x + gap + width } },
      { anchor: "end", textX: x - gap, textY: y, box: { left: x - gap - width, right: x - gap } },
      { anchor: "middle", textX: x, textY: y - gap - height / 2, box: { left: x - width / 2, right: x + width / 2 } },
      { anchor: "middle", textX: x, textY: y + gap + height / 2, box: { left: x - width / 2, right: x + width / 2 } },
    ].map((option) => ({
      ...option,
      box: { ...option.box, top: option.textY - height / 2, bottom: option.textY + height / 2 },
    }));
    const cost = (box: Box) =>
      taken.reduce((sum, other) => sum + overlap(box, other), 0) +
      (box.right - box.left) * (box.bottom - box.top) -
      overlap(box, frame);
    const best =
      options.find((option) => cost(option.box) === 0) ??
      options.reduce((least, option) => (cost(option.box) < cost(least.box) ? option : least));
    taken.push(best.box);
    const kindText = kind ? `<tspan class="kind" dx="8">${escapeXml(kind)}</tspan>` : "";
    labels.push(
      `<text x="${best.textX.toFixed(1)}" y="${best.textY.toFixed(1)}" dominant-baseline="middle" text-anchor="${best.anchor}" class="${main ? "anchor-label" : "label"}">${escapeXml(place.name)}${kindText}</text>`,
    );
  }
  return circles.join("") + labels.join("");
}

/** The map's drawing; exported for tests that read what it says. */
export function anchorMapSvg(anchor: SeoAnchor, nearby: SeoAnchor[], altText: string): string {
  const projection = project(anchor, nearby);
  const captionText = anchor.place ? `${anchor.name} · ${anchor.place}` : anchor.name;
  const caption = escapeXml(captionText);
  // Where the caption, scale bar (at its longest) and north arrow sit, for labels to keep clear of.
  const furniture: Box[] = [
    { left: MARGIN, top: MARGIN, right: MARGIN + 24 + captionText.length * 15 * GLYPH_WIDTH, bottom: MARGIN + 36 },
    { left: MARGIN, top: HEIGHT - MARGIN - 56, right: MARGIN + 40 + (WIDTH - 2 * MARGIN) / 5, bottom: HEIGHT - MARGIN },
    { left: WIDTH - MARGIN - 72, top: MARGIN, right: WIDTH - MARGIN, bottom: MARGIN + 86 },
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(altText)}">
<style>
text { font-family: ${FONT}; }
.grid { stroke: #d9e2ec; stroke-width: 1; }
.frame { fill: #f7f9fb; stroke: #9fb3c8; stroke-width: 1; }
.tick { font-size: 13px; fill: #52606d; }
.panel { fill: #ffffff; fill-opacity: 0.85; stroke: #bcccdc; }
.scale { fill: none; stroke: #1f2933; stroke-width: 3; }
.north { fill: #1f2933; }
.north-label { font-size: 14px; font-weight: bold; fill: #1f2933; }
.anchor { fill: #d64545; stroke: #ffffff; stroke-width: 3; }
.nearby { fill: #2680c2; stroke: #ffffff; stroke-width: 2; }
.anchor-label, .label, .caption { paint-order: stroke; stroke: #ffffff; stroke-width: 4px; stroke-linejoin: round; fill: #1f2933; }
.anchor-label { font-size: 20px; font-weight: bold; }
.kind { font-size: 15px; font-weight: normal; fill: #52606d; }
.label { font-size: 15px; }
.caption { font-size: 15px; font-weight: bold; }
.credit { font-size: 11px; fill: #7b8794; }
</style>
<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>
<rect x="${MARGIN}" y="${MARGIN}" width="${WIDTH - 2 * MARGIN}" height="${HEIGHT - 2 * MARGIN}" class="frame"/>
${grid(projection)}
${markersAndLabels(projection, anchor, nearby, furniture)}
${scaleBar(projection)}
${northArrow()}
<text x="${MARGIN + 12}" y="${MARGIN + 26}" class="caption">${caption}</text>
<text x="${WIDTH - MARGIN}" y="${HEIGHT - 10}" text-anchor="end" class="credit">Positions © OpenStreetMap contributors</text>
</svg>`;
}

const hasCoordinates = (place: SeoAnchor) =>
  Number.isFinite(place.lat) && Number.isFinite(place.lon) && Math.abs(place.lat) <= 85 && Math.abs(place.lon) <= 180;

/**
 * The map as a PNG of WIDTH × HEIGHT, with its alt text. Nearby anchors
 * without usable coordinates, or the anchor itself listed again, are left off.
 */
export async function renderAnchorMap(binding: BrowserRun, anchor: SeoAnchor, nearby: SeoAnchor[]): Promise<AnchorMap> {
  if (!hasCoordinates(anchor)) throw new Error(`anchor ${anchor.osmId} has no usable coordinates`);
  const shown = nearby.filter((other) => other.osmId !== anchor.osmId && hasCoordinates(other));
  const altText = anchorMapAltText(anchor, shown);
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;padding:0;background:#fff}svg{display:block}</style></head><body>${anchorMapSvg(anchor, shown, altText)}</body></html>`;

  const puppeteer = await loadPuppeteer();
  // The generated Env names the binding `BrowserRun`; puppeteer takes the same binding as its `BrowserWorker`.
  const browser = await puppeteer.launch(binding as unknown as BrowserWorker);
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: WIDTH, height: HEIGHT, deviceScaleFactor: 1 });
    await page.setContent(html, { waitUntil: "load" });
    const shot = await page.screenshot({ type: "png", clip: { x: 0, y: 0, width: WIDTH, height: HEIGHT } });
    return { png: new Uint8Array(shot), altText, width: WIDTH, height: HEIGHT };
  } finally {
    await browser.close().catch(() => undefined);
  }
}
