/**
 * Rules that read a job post without a model. Pure functions with no
 * imports, so the rule-based provider (in workerd) and the local Gemini
 * simulator (in Node) read posts the same way: what `npm run dev` shows is
 * what these rules make of the page, never filler.
 */
export interface ExtractedPost {
  title: string;
  description: string;
  place: string | null;
  urgency: "emergency" | "soon" | "flexible" | "unknown";
  postedAt: string | null;
  contact: { phone: string | null; email: string | null };
  canonicalUrl: string | null;
}

const EMERGENCY = [
  "emergency",
  "burst",
  "flood",
  "flooding",
  "asap",
  "urgent",
  "right now",
  "no water",
  "no hot water",
];
const SOON = ["today", "tomorrow", "this week", "soon", "leak", "leaking", "broken", "clogged", "running"];
const FLEXIBLE = ["whenever", "no rush", "flexible", "next month", "quote"];

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** How soon the poster needs someone, from their own words. */
export function urgencyOf(text: string): ExtractedPost["urgency"] {
  const lower = text.toLowerCase();
  if (EMERGENCY.some((w) => lower.includes(w))) return "emergency";
  if (SOON.some((w) => lower.includes(w))) return "soon";
  if (FLEXIBLE.some((w) => lower.includes(w))) return "flexible";
  return "unknown";
}

const PHONE = /\+?\d[\d\s().-]{8,}\d/;
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/;

/** The board's own fields (its markup, read by the adapter's selectors) as an extraction. */
export function postFromFields(fields: {
  title: string;
  description: string;
  place: string;
  postedAt: string | null;
  phone: string | null;
  email: string | null;
  canonicalUrl: string | null;
}): ExtractedPost {
  return {
    title: clip(fields.title.trim(), 200),
    description: clip(fields.description.trim(), 4_000),
    place: fields.place.trim() || null,
    urgency: urgencyOf(`${fields.title}\n${fields.description}`),
    postedAt: fields.postedAt,
    contact: { phone: fields.phone?.trim() || null, email: fields.email?.trim() || null },
    canonicalUrl: fields.canonicalUrl,
  };
}

/**
 * A post read from its page's visible text alone (what a model is given):
 * the first line is the title, the longest the description, the first line
 * naming one of `places` the place; a phone and an email where the text
 * shows them. The canonical address is the page's own.
 */
export function postFromText(text: string, url: string, places: string[]): ExtractedPost {
  const lines = text
    .split(/\n+/)
    .map((line) => line.trim())
    .filter(Boolean);
  const title = lines[0] ?? "";
  const rest = lines.slice(1);
  const description = rest.reduce((longest, line) => (line.length > longest.length ? line : longest), "");
  const place = places.find((p) => rest.some((line) => line.toLowerCase().includes(p.toLowerCase()))) ?? null;
  return {
    title: clip(title, 200),
    description: clip(description, 4_000),
    place,
    urgency: urgencyOf(`${title}\n${description}`),
    postedAt: null,
    contact: { phone: text.match(PHONE)?.[0]?.trim() ?? null, email: text.match(EMAIL)?.[0] ?? null },
    canonicalUrl: url,
  };
}
