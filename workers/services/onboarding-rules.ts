import { toE164 } from "../phone.ts";

/**
 * Onboarding without a model: a first DNA draft made by rules from the
 * website's readable blocks. It drafts only what the page states in a shape
 * rules can read — phone numbers, an email address, services (short headings
 * and list items that name a trade), towns after "serving"/"in", postal codes
 * and opening hours — and names everything it looked for and did not find,
 * so the owner knows what to fill in. Nothing is filled to look complete: an
 * empty page gives an empty draft and a full list of what is missing.
 */

/** A heading, paragraph or list item of the page, as services/onboarding.ts reads it. */
export interface SiteBlock {
  tag: string;
  text: string;
}

/** The weekdays as speed-to-lead/settings.ts DAYS names them (kept literal: Node runs this file alone). */
type Day = "sun" | "mon" | "tue" | "wed" | "thu" | "fri" | "sat";
type Range = [string, string];

/** What the site says about opening hours: around the clock, or per weekday (a missing day was not stated). */
export type DraftedHours = { always: true; said: string } | { always: false; week: Partial<Record<Day, Range[]>> };

export interface RulesDraft {
  /** The generated DNA layer: identity, services and geo scope; brand voice stays with the defaults. */
  layer: {
    identity: { businessName: string; website?: string; phone?: string; email?: string };
    services: { name: string; slug: string; keywords: string[] }[];
    geoScope: { cities: string[]; areas: string[] };
  };
  /** Every phone number on the page, E.164, in order of appearance. */
  phones: string[];
  hours: DraftedHours | null;
  /** What was looked for and not found, in the owner's words. */
  notFound: string[];
}

// ── services ────────────────────────────────────────────────────────────────

/**
 * Nouns that name a local trade's work (plumbing, heating, electrical, locks,
 * building, outdoor, cleaning, legal). Generic words (repair, install,
 * services) are deliberately absent: "Our services" is a heading, not a service.
 */
const TRADE_WORDS = [
  "plumb",
  "pipe",
  "drain",
  "leak",
  "sewer",
  "septic",
  "toilet",
  "tap",
  "taps",
  "faucet",
  "sink",
  "shower",
  "bathroom",
  "kitchen",
  "boiler",
  "water heater",
  "hot water",
  "cylinder",
  "gas",
  "heating",
  "heat pump",
  "furnace",
  "radiator",
  "hvac",
  "air condition",
  "ventilation",
  "duct",
  "electric",
  "wiring",
  "rewir",
  "lighting",
  "socket",
  "outlet",
  "switchboard",
  "fuse",
  "ev charg",
  "solar",
  "generator",
  "lock",
  "door",
  "window",
  "glass",
  "glaz",
  "cctv",
  "roof",
  "gutter",
  "chimney",
  "insulation",
  "paint",
  "plaster",
  "drywall",
  "tiling",
  "floor",
  "carpent",
  "cabinet",
  "renovat",
  "remodel",
  "fenc",
  "deck",
  "paving",
  "landscap",
  "lawn",
  "garden",
  "tree",
  "stump",
  "pest",
  "termite",
  "clean",
  "carpet",
  "pressure wash",
  "mould",
  "mold",
  "damp",
  "waterproof",
  "burst",
  "blocked",
  "unblock",
  "divorce",
  "custody",
  "family law",
  "conveyancing",
  "wills",
  "probate",
  "estate planning",
  "injury",
  "immigration",
  "criminal",
  "employment law",
  "litigation",
];
const TRADE = new RegExp(`\\b(?:${TRADE_WORDS.map((w) => w.replace(/ /g, "\\s+")).join("|")})`, "i");
const SERVICE_TAGS = new Set(["h1", "h2", "h3", "li"]);
const MAX_SERVICE_WORDS = 8;

/** A service's slug from its name, as the DNA schema wants it (lowercase-with-dashes, at most 60). */
export const slugOf = (name: string) =>
  name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");

const squash = (text: string) => text.replace(/\s+/g, " ").trim();

function findServices(blocks: SiteBlock[], businessName: string): RulesDraft["layer"]["services"] {
  const business = businessName.toLowerCase();
  const services: RulesDraft["layer"]["services"] = [];
  for (const block of blocks) {
    if (!SERVICE_TAGS.has(block.tag)) continue;
    const name = squash(block.text).replace(/[:.;,!?]+$/, "");
    if (!name || name.length > 100 || name.split(" ").length > MAX_SERVICE_WORDS) continue;
    // The business's own name is a heading, not something it sells.
    if (name.toLowerCase().includes(business) || business.includes(name.toLowerCase())) continue;
    if (!TRADE.test(name)) continue;
    const slug = slugOf(name);
    if (!slug || services.some((s) => s.slug === slug)) continue;
    services.push({ name, slug, keywords: [name.toLowerCase()] });
    if (services.length >= 50) break;
  }
  return services;
}

// ── places ──────────────────────────────────────────────────────────────────

const PLACE_WORD = "(?:St\\.\\s+)?[A-Z][A-Za-z'’-]+";
const PLACE_NAME = `${PLACE_WORD}(?:\\s+${PLACE_WORD}){0,3}`;
const PLACE_JOIN = "(?:\\s*,\\s*(?:and\\s+|&\\s+)?|\\s+and\\s+|\\s*&\\s*|\\s+or\\s+)";
/** "serving Springfield, Shelbyville and Ogdenville", "plumbing in Springfield". Names must be capitalised. */
const PLACES = new RegExp(
  `\\b(?:[Ss]erving|[Ss]erves?|[Ii]n|[Aa]cross|[Tt]hroughout|[Cc]overing|[Cc]overs?)\\s+(?:the\\s+)?(${PLACE_NAME}(?:${PLACE_JOIN}${PLACE_NAME})*)`,
  "g",
);
/** Capitalised words after "in" that are not places. */
const NOT_PLACES = new Set([
  "a",
  "an",
  "the",
  "our",
  "your",
  "we",
  "i",
  "it",
  "this",
  "that",
  "all",
  "any",
  "every",
  "english",
  "spanish",
  "emergency",
  "business",
  "stock",
  "person",
  "addition",
  "general",
  "total",
  "partnership",
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
  "sunday",
]);

function findCities(blocks: SiteBlock[], businessName: string): string[] {
  const business = businessName.toLowerCase();
  const cities: string[] = [];
  for (const block of blocks) {
    for (const match of squash(block.text).matchAll(PLACES)) {
      for (const raw of (match[1] ?? "").split(new RegExp(PLACE_JOIN))) {
        const name = raw.trim().replace(/['’]s$/, "");
        const first = name.split(" ")[0]?.toLowerCase() ?? "";
        if (name.length <= 2 || NOT_PLACES.has(first) || business.includes(name.toLowerCase())) continue;
        if (TRADE.test(name)) continue;
        if (!cities.some((c) => c.toLowerCase() === name.toLowerCase())) cities.push(name);
      }
    }
  }
  return cities.slice(0, 50);
}

/** US ZIP after a state code, UK and Canadian postcodes, or numbers listed after "postcode(s)"/"zip code(s)". */
const POSTAL_PATTERNS = [
  /\b[A-Z]{2}\s+(\d{5}(?:-\d{4})?)\b/g,
  /\b([A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b/g,
  /\b([A-Z]\d[A-Z]\s?\d[A-Z]\d)\b/g,
];
const LISTED_CODES =
  /\b(?:zip(?:\s*codes?)?|post(?:al)?\s*codes?|postcodes?)\b[:\s]*((?:\d{4,5}(?:\s*(?:,|and|&)\s*)?)+)/gi;

function findPostalCodes(blocks: SiteBlock[]): string[] {
  const codes: string[] = [];
  const keep = (code: string) => {
    const clean = code.trim().toUpperCase();
    if (clean && !codes.includes(clean)) codes.push(clean);
  };
  for (const block of blocks) {
    const text = squash(block.text);
    for (const pattern of POSTAL_PATTERNS) for (const match of text.matchAll(pattern)) keep(match[1] ?? "");
    for (const match of text.matchAll(LISTED_CODES))
      for (const code of (match[1] ?? "").match(/\d{4,5}/g) ?? []) keep(code);
  }
  return codes.slice(0, 200);
}

// ── contact ─────────────────────────────────────────────────────────────────

const PHONE_LIKE = /\+?\(?\d[\d\s().-]{5,}\d/g;
const EMAIL = /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b/;

function findPhones(text: string, defaultCountry: string): string[] {
  const phones: string[] = [];
  for (const match of text.matchAll(PHONE_LIKE)) {
    const digits = match[0].replace(/\D/g, "");
    if (digits.length < 7 || digits.length > 15) continue;
    const phone = toE164(match[0], defaultCountry);
    if (phone && !phones.includes(phone)) phones.push(phone);
  }
  return phones.slice(0, 5);
}

// ── hours ───────────────────────────────────────────────────────────────────

const DAY_NAMES: Record<Day, string[]> = {
  mon: ["monday", "mon"],
  tue: ["tuesday", "tues", "tue"],
  wed: ["wednesday", "weds", "wed"],
  thu: ["thursday", "thurs", "thur", "thu"],
  fri: ["friday", "fri"],
  sat: ["saturday", "sat"],
  sun: ["sunday", "sun"],
};
const WEEK: Day[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY = `(?:${Object.values(DAY_NAMES)
  .flat()
  .sort((a, b) => b.length - a.length)
  .join("|")})\\b\\.?`;
const DASH = "\\s*(?:-|–|—|to|through|thru|until|till)\\s*";
const DAY_RANGE = `${DAY}(?:${DASH}${DAY})?`;
const DAY_SEP = "\\s*(?:,|&|and|/)\\s*";
const DAY_LIST = `${DAY_RANGE}(?:${DAY_SEP}${DAY_RANGE})*`;
const TIME = "(?:\\d{1,2}(?:[:.]\\d{2})?\\s*(?:am|pm|a\\.m\\.|p\\.m\\.)?|noon|midday|midnight)";
const HOURS = new RegExp(
  `\\b(${DAY_LIST}|daily|every\\s+day|7\\s+days(?:\\s+a\\s+week)?)\\s*[:,]?\\s*(?:from\\s+)?(?:(${TIME})${DASH}(${TIME})|(closed))`,
  "gi",
);
/** Around the clock: for a trade that advertises it, calls are welcome at any hour. */
const ALWAYS_OPEN = /\b24\s*\/\s*7\b|\b24\s+hours\s+a\s+day\b|\bopen\s+24\s+hours\b|\b(?:a)?round\s+the\s+clock\b/i;

function dayOf(word: string): Day | undefined {
  const name = word.toLowerCase().replace(/\.$/, "").trim();
  return WEEK.find((day) => DAY_NAMES[day].includes(name));
}

function daysOf(spec: string): Day[] {
  const lower = spec.toLowerCase();
  if (/^(daily|every\s+day|7\s+days)/.test(lower)) return [...WEEK];
  const days: Day[] = [];
  for (const part of lower.split(new RegExp(DAY_SEP))) {
    const [from, to] = part.split(new RegExp(DASH)).map(dayOf);
    if (!from) continue;
    if (!to) {
      days.push(from);
      continue;
    }
    for (let i = WEEK.indexOf(from); ; i = (i + 1) % 7) {
      const day = WEEK[i] as Day;
      days.push(day);
      if (day === to) break;
    }
  }
  return [...new Set(days)];
}

interface Clock {
  hour: number;
  minute: number;
  meridiem?: "am" | "pm";
}

function clockOf(text: string): Clock | undefined {
  const lower = text.toLowerCase().replace(/\s+/g, "");
  if (lower === "noon" || lower === "midday") return { hour: 12, minute: 0, meridiem: "pm" };
  if (lower === "midnight") return { hour: 24, minute: 0 };
  const match = /^(\d{1,2})(?:[:.](\d{2}))?(am|pm|a\.m\.|p\.m\.)?$/.exec(lower);
  if (!match) return undefined;
  const hour = Number(match[1]);
  const minute = Number(match[2] ?? 0);
  if (hour > 24 || minute > 59) return undefined;
  const meridiem = match[3] ? (match[3].startsWith("a") ? "am" : "pm") : undefined;
  if (meridiem && (hour < 1 || hour > 12)) return undefined;
  return { hour, minute, ...(meridiem ? { meridiem } : {}) };
}

const minutesOf = ({ hour, minute }: Clock, meridiem: "am" | "pm" | undefined) =>
  (meridiem === "pm" && hour < 12 ? hour + 12 : meridiem === "am" && hour === 12 ? 0 : hour) * 60 + minute;

const hhmm = (minutes: number) => {
  // The settings' clock ends at 23:59; "until midnight" is read as that.
  const m = Math.min(minutes, 23 * 60 + 59);
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
};

/** "8am–6pm", "8–6pm", "08:00-18:00", "8-5" (a bare closing hour before the opening one is afternoon). */
function rangeOf(fromText: string, toText: string): Range | undefined {
  const from = clockOf(fromText);
  const to = clockOf(toText);
  if (!from || !to) return undefined;
  let start = minutesOf(from, from.meridiem);
  let end = minutesOf(to, to.meridiem);
  if (!from.meridiem && to.meridiem) {
    const same = minutesOf(from, to.meridiem);
    start = same < end ? same : minutesOf(from, "am");
  }
  // "8-5", "8am-6": a bare closing hour not after the opening one is in the afternoon.
  if (!to.meridiem && end <= start && to.hour < 12) end += 12 * 60;
  if (start >= end || start >= 24 * 60) return undefined;
  return [hhmm(start), hhmm(end)];
}

function findHours(blocks: SiteBlock[]): DraftedHours | null {
  for (const block of blocks) {
    const said = ALWAYS_OPEN.exec(block.text);
    if (said) return { always: true, said: said[0] };
  }
  const week: Partial<Record<Day, Range[]>> = {};
  let stated = false;
  for (const block of blocks) {
    for (const match of squash(block.text).matchAll(HOURS)) {
      const days = daysOf(match[1] ?? "");
      if (days.length === 0) continue;
      const range = match[4] ? null : rangeOf(match[2] ?? "", match[3] ?? "");
      if (range === undefined) continue;
      stated = true;
      for (const day of days) {
        if (range === null) week[day] = [];
        else {
          const ranges = week[day] ?? [];
          if (!ranges.some(([a, b]) => a === range[0] && b === range[1]) && ranges.length < 4) ranges.push(range);
          week[day] = ranges;
        }
      }
    }
  }
  return stated ? { always: false, week } : null;
}

// ── the draft ───────────────────────────────────────────────────────────────

export function draftByRules(input: {
  businessName: string;
  websiteUrl?: string | undefined;
  blocks: SiteBlock[];
  defaultCountry?: string;
}): RulesDraft {
  const blocks = input.blocks.filter((b) => b.text.trim() !== "");
  const text = blocks.map((b) => squash(b.text)).join("\n");
  const phones = findPhones(text, input.defaultCountry ?? "US");
  const email = EMAIL.exec(text)?.[0];
  const services = findServices(blocks, input.businessName);
  const cities = findCities(blocks, input.businessName);
  const areas = findPostalCodes(blocks);
  const hours = findHours(blocks);

  const notFound: string[] = [];
  if (!input.websiteUrl) notFound.push("no website was given, so nothing could be read from one");
  else if (blocks.length === 0) notFound.push("no readable text on the website");
  if (input.websiteUrl) {
    if (phones.length === 0) notFound.push("no phone number on the site");
    if (!email) notFound.push("no email address on the site");
    if (services.length === 0) notFound.push("no services on the site (no heading or list item names a trade)");
    if (cities.length === 0) notFound.push("no towns or cities on the site (looked after “serving” and “in”)");
    if (areas.length === 0) notFound.push("no postal codes on the site");
    if (!hours) notFound.push("no opening hours on the site");
  }

  return {
    layer: {
      identity: {
        businessName: input.businessName,
        ...(input.websiteUrl ? { website: input.websiteUrl } : {}),
        ...(phones[0] ? { phone: phones[0] } : {}),
        ...(email ? { email } : {}),
      },
      services,
      geoScope: { cities, areas },
    },
    phones,
    hours,
    notFound,
  };
}
