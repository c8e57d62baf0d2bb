import type { CriticReport, PageDraft, SeoAnchor, SeoCluster } from "./types.ts";

/**
 * The critic: rules that judge a written page before it may be published.
 * Pure functions (types are the only imports), so the pipeline in workerd
 * and the local Gemini simulator in Node judge a page the same way; the rules
 * writer (writer-rules.ts) uses the same matchers to keep its own pages clean.
 *
 * A page FAILS on any of: a forbidden topic, an invented claim, being a near
 * duplicate of another page of the project, too few place-specific words, or
 * a score below `minScore`.
 *
 * Near duplicate: the page's visible text (tags stripped, entities decoded),
 * lower-cased, with every place name the project knows (the DNA's cities and
 * areas, the cluster's place, the anchors' places) masked to one token, as
 * word 5-shingles; Jaccard similarity against each other page of the project.
 * Masking makes a page that only swaps the town read as the copy it is.
 *
 * Place-specific words: the page's text is cut into sentences (a heading, a
 * list item, a table cell, or a sentence of a paragraph). A sentence is
 * place-specific when it names the page's place or one of the page's anchors
 * (whole words, any case). It does not count when another page holds a
 * sentence that is the same once place names are masked but differs before
 * masking: that is a template with the town swapped in, not content about the
 * place. The count is the number of words of the distinct sentences left.
 *
 * Score (0–100):
 *   place-specific content  25 × min(1, words / minPlaceSpecificWords)
 *   distinctness            25 × clamp((maxSimilarity − nearest) / (maxSimilarity / 2), 0, 1)
 *   title                   5 for 1–60 characters, 5 for naming both the service and the place
 *   meta description        5 for 1–155 characters, 5 for naming the place
 *   JSON-LD                 5 all items are schema.org objects that survive JSON,
 *                           5 a business with areaServed, 5 an FAQPage (or the DNA has no objections)
 *   structure               5 for 3+ <h2> sections, 5 for 250+ words, 5 for naming 2+ anchors
 *   penalty                 −25 for each forbidden topic and each invented claim (floor 0)
 */

/** The parts of the DNA the critic and the writer read (a whole `Dna` fits). */
/**
 * The part of a project's DNA (workers/dna/schema.ts) pages are written
 * from, restated structurally so this module imports nothing of the Worker's
 * and the local Gemini simulator (Node) can run it.
 */
export interface SeoDna {
  identity: {
    businessName: string;
    niche?: string | undefined;
    phone?: string | undefined;
    email?: string | undefined;
    website?: string | undefined;
    address?: string | undefined;
  };
  brandBrain: {
    voice: string;
    differentiators: string[];
    insiderTips: string[];
    objections: { objection: string; answer: string }[];
    forbiddenTopics: string[];
  };
  services: { name: string; slug: string; keywords: string[] }[];
  geoScope: { country?: string | undefined; cities: string[]; areas: string[] };
}

export interface CriticThresholds {
  /** Shingled Jaccard similarity above which a page is a near duplicate. */
  maxSimilarity?: number;
  /** Fewest place-specific words a page may have. */
  minPlaceSpecificWords?: number;
  /** Lowest passing score. */
  minScore?: number;
}

export const DEFAULT_THRESHOLDS = { maxSimilarity: 0.6, minPlaceSpecificWords: 40, minScore: 60 } as const;

const SHINGLE = 5;
const PLACE_TOKEN = "xplacex";

// ---------------------------------------------------------------- text

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", ndash: "–" };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) => {
    if (code[0] === "#") {
      const point = code[1] === "x" || code[1] === "X" ? Number.parseInt(code.slice(2), 16) : Number(code.slice(1));
      return Number.isFinite(point) && point > 0 && point < 0x110000 ? String.fromCodePoint(point) : whole;
    }
    return ENTITIES[code.toLowerCase()] ?? whole;
  });
}

export const escapeHtml = (text: string) =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");

const BLOCK_TAG =
  /<\/?(?:p|div|h[1-6]|li|ul|ol|dl|dt|dd|tr|td|th|table|section|article|header|footer|blockquote|figure|figcaption)\b[^>]*>|<br\s*\/?>/gi;

/** Visible text of an HTML fragment, one line per block (scripts and styles dropped). */
export function textOfHtml(html: string): string {
  const text = html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(BLOCK_TAG, "\n")
    .replace(/<[^>]*>/g, "");
  return decodeEntities(text)
    .split("\n")
    .map((line) => line.replace(/\s+/g, " ").trim())
    .filter(Boolean)
    .join("\n");
}

/** Abbreviations a sentence does not end at ("St. David's"). */
const ABBREVIATIONS = new Set([
  "st",
  "dr",
  "mt",
  "ft",
  "ave",
  "blvd",
  "rd",
  "jr",
  "sr",
  "mr",
  "mrs",
  "ms",
  "no",
  "inc",
  "co",
  "ltd",
  "vs",
  "etc",
  "e.g",
  "i.e",
  "u.s",
]);

/** Sentences of text from `textOfHtml`: each line is a block, split again at . ! ? before a capital or digit. */
export function sentencesOf(text: string): string[] {
  const sentences: string[] = [];
  for (const line of text.split("\n")) {
    const pieces = line.split(/(?<=[.!?])\s+(?=["“(\p{Lu}\p{N}])/u);
    let current = "";
    for (const piece of pieces) {
      current = current ? `${current} ${piece}` : piece;
      const lastWord = current.match(/([\p{L}.]+)\.$/u)?.[1]?.toLowerCase();
      if (lastWord && ABBREVIATIONS.has(lastWord)) continue;
      sentences.push(current.trim());
      current = "";
    }
    if (current.trim()) sentences.push(current.trim());
  }
  return sentences.filter(Boolean);
}

const normalize = (text: string) =>
  text.toLowerCase().replace(/[’‘`]/g, "'").replace(/[–—]/g, "-").replace(/\s+/g, " ").trim();

export const wordsOf = (text: string) => normalize(text).match(/[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu) ?? [];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether `text` names `name` as whole words, any case. */
export function names(text: string, name: string): boolean {
  const wanted = normalize(name);
  if (!wanted) return false;
  return new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(wanted)}(?![\\p{L}\\p{N}])`, "u").test(normalize(text));
}

/** `text` lower-cased with each of `places` (longest first, whole words) replaced by one token. */
function maskPlaces(text: string, places: string[]): string {
  let masked = normalize(text);
  const sorted = [...new Set(places.map(normalize).filter(Boolean))].sort((a, b) => b.length - a.length);
  for (const place of sorted) {
    masked = masked.replace(
      new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(place)}(?![\\p{L}\\p{N}])`, "gu"),
      PLACE_TOKEN,
    );
  }
  return masked;
}

// ---------------------------------------------------------------- forbidden topics

const STOPWORDS = new Set(
  "a an the and or but of to in on at for with by from as is are was were be been being it its this that these those we you our your us they them their i me my he she his her have has had not no do does did can could will would should may might about any all some what which who whom how when where than then so if into over under".split(
    " ",
  ),
);

/** Plural and singular read alike: "claims" → "claim", "companies" → "company", "boxes" → "box". */
export function stem(word: string): string {
  let w = word.toLowerCase().replace(/'s$/, "");
  if (w.length > 4 && w.endsWith("ies")) return `${w.slice(0, -3)}y`;
  if (/(?:ss|ch|sh|x|z)es$/.test(w) && w.length > 4) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith("s") && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  return w;
}

/** The words of a topic phrase that carry its meaning (all of them when every word is a stopword). */
export function significantStems(phrase: string): string[] {
  const words = wordsOf(phrase);
  const significant = words.filter((w) => w.length > 1 && !STOPWORDS.has(w));
  return [...new Set((significant.length ? significant : words).map(stem))];
}

/** The topics (as the DNA words them) whose significant words all occur in `sentence`. */
export function forbiddenTopicsIn(sentence: string, topics: string[]): string[] {
  const present = new Set(wordsOf(sentence).map(stem));
  return topics.filter((topic) => {
    const stems = significantStems(topic);
    return stems.length > 0 && stems.every((s) => present.has(s));
  });
}

// ---------------------------------------------------------------- invented claims

/** Claims a page may make only when the DNA says them. */
const CLAIMS: { kind: string; pattern: RegExp }[] = [
  { kind: "price", pattern: /\$\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)? ?(?:usd|dollars)\b/gi },
  { kind: "price", pattern: /\bper (?:hour|hr|visit|job|call|foot|square foot|fixture)\b/gi },
  {
    kind: "price",
    pattern: /\bstarting (?:at|from)\b|\bflat[- ]rate\b|\bfree (?:estimates?|quotes?|inspections?)\b/gi,
  },
  { kind: "rating", pattern: /\b[1-5](?:\.\d)?[- ]?stars?\b|\bfive[- ]stars?\b|\brated\b|\baward[- ]winning\b/gi },
  { kind: "review", pattern: /\breviews\b|\btestimonials?\b/gi },
  { kind: "licence", pattern: /\blicen[cs]ed\b|\binsured\b|\bbonded\b|\bcertified\b|\baccredited\b/gi },
  { kind: "guarantee", pattern: /\bguarantee[ds]?\b|\bwarrant(?:y|ies)\b|\bmoney[- ]back\b/gi },
  {
    kind: "years in business",
    pattern: /\bsince (?:19|20)\d\d\b|\b(?:established|founded) in (?:19|20)\d\d\b|\b\d+\+? years?\b|\bdecades?\b/gi,
  },
];

/** schema.org properties that state ratings, prices, awards or history: claims, whatever their text. */
const CLAIM_PROPERTIES = new Set([
  "aggregateRating",
  "review",
  "reviews",
  "priceRange",
  "price",
  "award",
  "foundingDate",
  "hasCredential",
]);

/** Every string anywhere in a value (the DNA, a JSON-LD object). */
function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, out);
  else if (value && typeof value === "object") for (const item of Object.values(value)) stringsIn(item, out);
  return out;
}

/** Claims in `text` whose words `sources` (the DNA's text, the anchors' names) do not hold, as `kind: "text"`. */
export function inventedClaimsIn(text: string, sources: string): string[] {
  const found = new Set<string>();
  for (const { kind, pattern } of CLAIMS) {
    for (const match of normalize(text).matchAll(pattern)) {
      const claim = match[0].trim();
      if (!names(sources, claim)) found.add(`${kind}: "${claim}"`);
    }
  }
  return [...found];
}

/** schema.org claim properties in JSON-LD whose value the DNA does not hold. */
function inventedProperties(value: unknown, sources: string, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) inventedProperties(item, sources, out);
  else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const said =
        (typeof item === "string" || typeof item === "number") && normalize(sources).includes(normalize(String(item)));
      if (CLAIM_PROPERTIES.has(key) && !said) out.push(`schema.org: "${key}"`);
      else inventedProperties(item, sources, out);
    }
  }
  return out;
}

// ---------------------------------------------------------------- similarity

function shingles(words: string[]): Set<string> {
  if (words.length === 0) return new Set();
  if (words.length < SHINGLE) return new Set([words.join(" ")]);
  const out = new Set<string>();
  for (let i = 0; i + SHINGLE <= words.length; i++) out.add(words.slice(i, i + SHINGLE).join(" "));
  return out;
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let shared = 0;
  for (const item of a) if (b.has(item)) shared++;
  return shared / (a.size + b.size - shared);
}

/** The 5-shingles of a page's visible text with its place names masked. */
export function placeMaskedShingles(html: string, places: string[]): Set<string> {
  return shingles(wordsOf(maskPlaces(textOfHtml(html), places)));
}

// ---------------------------------------------------------------- the review

/** The page's anchors: those the scout found in the cluster's place. */
export const anchorsOfPlace = (anchors: SeoAnchor[], place: string) =>
  anchors.filter((a) => normalize(a.place) === normalize(place));

/** Every place name the project knows, for masking. */
function knownPlaces(dna: SeoDna, cluster: SeoCluster, anchors: SeoAnchor[]): string[] {
  return [...dna.geoScope.cities, ...dna.geoScope.areas, cluster.place, ...anchors.map((a) => a.place)];
}

function jsonLdScore(page: PageDraft, dna: SeoDna): { points: number; reasons: string[] } {
  const reasons: string[] = [];
  let points = 0;
  const items: unknown[] = Array.isArray(page.jsonLd) ? [...page.jsonLd] : [];
  let parseable = items.length > 0;
  for (const item of items) {
    try {
      const copy = JSON.parse(JSON.stringify(item)) as Record<string, unknown>;
      if (!copy || typeof copy !== "object" || !copy["@type"] || !String(copy["@context"] ?? "").includes("schema.org"))
        parseable = false;
    } catch {
      parseable = false;
    }
  }
  // JSON-LD may also sit in the body already; it must parse too.
  for (const script of page.html.matchAll(/<script[^>]*application\/ld\+json[^>]*>([\s\S]*?)<\/script>/gi)) {
    try {
      items.push(JSON.parse(script[1] ?? ""));
    } catch {
      parseable = false;
    }
  }
  if (parseable) points += 5;
  else reasons.push("Add JSON-LD: schema.org objects with @context and @type that survive JSON.stringify/parse.");
  const typesOf = (item: unknown) => {
    const type = (item as Record<string, unknown> | null)?.["@type"];
    return Array.isArray(type) ? type.map(String) : [String(type ?? "")];
  };
  const business = items.find(
    (item) =>
      typesOf(item).some((t) => t === "LocalBusiness" || t.endsWith("Business")) ||
      (item as Record<string, unknown>)?.areaServed,
  ) as Record<string, unknown> | undefined;
  if (business?.areaServed) points += 5;
  else reasons.push("Add a LocalBusiness JSON-LD object with areaServed set to the page's place.");
  const faq = items.find((item) => typesOf(item).includes("FAQPage")) as Record<string, unknown> | undefined;
  const hasFaq = Array.isArray(faq?.mainEntity) && (faq.mainEntity as unknown[]).length > 0;
  if (hasFaq || dna.brandBrain.objections.length === 0) points += 5;
  else reasons.push("Add an FAQPage JSON-LD object from the questions the page answers.");
  return { points, reasons };
}

export function reviewPage(
  page: PageDraft,
  context: {
    dna: SeoDna;
    cluster: SeoCluster;
    anchors: SeoAnchor[];
    others: { slug: string; html: string }[];
    thresholds?: CriticThresholds;
  },
): CriticReport {
  const { dna, cluster } = context;
  const maxSimilarity = context.thresholds?.maxSimilarity ?? DEFAULT_THRESHOLDS.maxSimilarity;
  const minWords = context.thresholds?.minPlaceSpecificWords ?? DEFAULT_THRESHOLDS.minPlaceSpecificWords;
  const minScore = context.thresholds?.minScore ?? DEFAULT_THRESHOLDS.minScore;
  const anchors = anchorsOfPlace(context.anchors, cluster.place);
  const places = knownPlaces(dna, cluster, context.anchors);
  const others = context.others.filter((other) => other.slug !== page.slug);
  const reasons: string[] = [];

  const bodyText = textOfHtml(page.html);
  const bodySentences = sentencesOf(bodyText);
  const jsonLdText = stringsIn(page.jsonLd).join("\n");
  const allSentences = [page.title, page.metaDescription, ...bodySentences, ...sentencesOf(jsonLdText)];

  // Forbidden topics, each named once with the first sentence that touches it.
  const forbidden: string[] = [];
  for (const sentence of allSentences) {
    for (const topic of forbiddenTopicsIn(sentence, dna.brandBrain.forbiddenTopics)) {
      if (forbidden.includes(topic)) continue;
      forbidden.push(topic);
      reasons.push(`Touches the forbidden topic "${topic}": drop "${clip(sentence, 90)}".`);
    }
  }

  // Invented claims: checked against all the DNA's text and the anchors' names (a landmark's name is not a claim).
  const sources = [...stringsIn(dna), ...context.anchors.map((a) => a.name)].join("\n");
  const invented = [
    ...new Set([
      ...inventedClaimsIn([page.title, page.metaDescription, bodyText, jsonLdText].join("\n"), sources),
      ...inventedProperties(page.jsonLd, sources),
    ]),
  ];
  for (const claim of invented)
    reasons.push(`Makes a claim the DNA does not hold, ${claim}: remove it or add it to the DNA.`);

  // Near duplicates.
  const mine = placeMaskedShingles(page.html, places);
  let nearest: CriticReport["nearest"] = null;
  for (const other of others) {
    const similarity = jaccard(mine, placeMaskedShingles(other.html, places));
    if (!nearest || similarity > nearest.similarity) nearest = { slug: other.slug, similarity };
  }
  if (nearest) nearest.similarity = Math.round(nearest.similarity * 1000) / 1000;
  const nearDuplicate = nearest !== null && nearest.similarity > maxSimilarity;
  if (nearDuplicate && nearest)
    reasons.push(
      `Doorway page: ${Math.round(nearest.similarity * 100)}% the same as "${nearest.slug}" once place names are masked (at most ${Math.round(maxSimilarity * 100)}%); write more about this place and its landmarks.`,
    );

  // Place-specific words.
  const placeWords = placeSpecificWords(bodySentences, cluster.place, anchors, places, others);
  if (placeWords < minWords)
    reasons.push(
      `Only ${placeWords} place-specific words (at least ${minWords}): add sentences about ${cluster.place} and its landmarks that are not a template with the town swapped in.`,
    );

  // The rubric.
  let score = 25 * Math.min(1, placeWords / Math.max(1, minWords));
  score += 25 * clamp((maxSimilarity - (nearest?.similarity ?? 0)) / (maxSimilarity / 2), 0, 1);

  const title = page.title.trim();
  if (title.length > 0 && title.length <= 60) score += 5;
  else reasons.push(`Title is ${title.length} characters: keep it between 1 and 60.`);
  if (names(title, cluster.service.name) && names(title, cluster.place)) score += 5;
  else reasons.push(`Title should name both "${cluster.service.name}" and "${cluster.place}".`);

  const meta = page.metaDescription.trim();
  if (meta.length > 0 && meta.length <= 155) score += 5;
  else reasons.push(`Meta description is ${meta.length} characters: keep it between 1 and 155.`);
  if (names(meta, cluster.place)) score += 5;
  else reasons.push(`Meta description should name "${cluster.place}".`);

  const jsonLd = jsonLdScore(page, dna);
  score += jsonLd.points;
  reasons.push(...jsonLd.reasons);

  const sections = page.html.match(/<h2\b/gi)?.length ?? 0;
  if (sections >= 3) score += 5;
  else reasons.push(`Only ${sections} <h2> sections: give the page at least 3.`);
  const words = wordsOf(bodyText).length;
  if (words >= 250) score += 5;
  else reasons.push(`Only ${words} words: write at least 250.`);
  const namedAnchors = anchors.filter((a) => names(bodyText, a.name)).length;
  if (namedAnchors >= 2) score += 5;
  else reasons.push(`Names ${namedAnchors} of ${cluster.place}'s landmarks: name at least 2.`);

  score = Math.round(clamp(score - 25 * (forbidden.length + invented.length), 0, 100));
  const pass =
    forbidden.length === 0 && invented.length === 0 && !nearDuplicate && placeWords >= minWords && score >= minScore;
  if (score < minScore) reasons.push(`Scores ${score} of 100 (at least ${minScore} passes).`);
  if (pass && reasons.length === 0)
    reasons.push(
      `Passes: ${placeWords} place-specific words${nearest ? `, nearest page "${nearest.slug}" at ${Math.round(nearest.similarity * 100)}%` : ""}.`,
    );
  return { score, pass, reasons, forbidden, invented, nearest, placeSpecificWords: placeWords };
}

/** See the module comment: words of distinct sentences naming the place or its anchors, templates excluded. */
function placeSpecificWords(
  sentences: string[],
  place: string,
  anchors: SeoAnchor[],
  places: string[],
  others: { html: string }[],
): number {
  // Each other page's sentences, masked → their unmasked forms.
  const elsewhere = new Map<string, Set<string>>();
  for (const other of others) {
    for (const sentence of sentencesOf(textOfHtml(other.html))) {
      const masked = maskPlaces(sentence, places);
      const forms = elsewhere.get(masked) ?? new Set<string>();
      forms.add(normalize(sentence));
      elsewhere.set(masked, forms);
    }
  }
  const seen = new Set<string>();
  let count = 0;
  for (const sentence of sentences) {
    const key = normalize(sentence);
    if (seen.has(key)) continue;
    seen.add(key);
    if (!names(sentence, place) && !anchors.some((a) => names(sentence, a.name))) continue;
    const forms = elsewhere.get(maskPlaces(sentence, places));
    if (forms && [...forms].some((form) => form !== key)) continue;
    count += wordsOf(sentence).length;
  }
  return count;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
