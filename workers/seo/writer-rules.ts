import { anchorsOfPlace, escapeHtml, forbiddenTopicsIn, names, type SeoDna, significantStems } from "./critic.ts";
import type { PageDraft, SeoAnchor, SeoCluster } from "./types.ts";

/**
 * The writer without a model: a landing page for one service in one place,
 * composed only from what the DNA and the anchors hold. Business facts
 * (differentiators, tips, questions, contact details) are the DNA's own
 * words; place facts are the anchors' names and kinds, and distances and
 * compass directions computed from their coordinates. Nothing else is said:
 * no prices, ratings, licences, guarantees or years unless the DNA's text
 * says them. Items that touch a forbidden topic are left out, by the critic's
 * own matcher.
 *
 * Each page is centred on one of its place's landmarks, chosen by the
 * service's position in the DNA, so two services in one town lead with
 * different landmarks. A second attempt (or feedback about similarity or
 * place-specific content) names more landmarks, relates each to its nearest
 * neighbour, and trims the business sections shared with sibling pages;
 * feedback that quotes a forbidden topic or a claim drops the items that
 * carry it.
 *
 * Imports only the critic (itself pure), so Node's simulators can run it.
 */

export interface WriterInput {
  dna: SeoDna;
  cluster: SeoCluster;
  anchors: SeoAnchor[];
  /** 1 for the first draft; 2+ after the critic rejected the previous one. */
  attempt?: number;
  /** The critic's reasons (or a person's notes) on the previous attempt. */
  feedback?: string[];
}

const TITLE_MAX = 60;
const META_MAX = 155;

/** Landmark kinds in the order a page prefers to lead with them, with how a name already says the kind. */
const KINDS: Record<string, { label: string; saidBy: RegExp }> = {
  courthouse: { label: "courthouse", saidBy: /\bcourt(?:house)?\b/i },
  townhall: { label: "city hall", saidBy: /\b(?:city|town) hall\b|\bmunicipal building\b/i },
  hospital: { label: "hospital", saidBy: /\bhospital\b|\bmedical cent(?:er|re)\b|\binfirmary\b/i },
  police: { label: "police station", saidBy: /\bpolice\b|\bsheriff\b/i },
  library: { label: "library", saidBy: /\blibrary\b/i },
  park: { label: "park", saidBy: /\bpark\b|\bgardens?\b/i },
  attraction: { label: "landmark", saidBy: /\bmuseum\b|\bmonument\b|\bmemorial\b/i },
};
const KIND_ORDER = Object.keys(KINDS);

/** Countries that measure road distances in miles. */
const MILES = new Set(["US", "GB", "LR", "MM"]);

export function writePageByRules(input: WriterInput): PageDraft {
  const { dna, cluster } = input;
  const attempt = input.attempt ?? 1;
  const feedback = input.feedback ?? [];
  const expanded =
    attempt >= 2 || feedback.some((line) => /similar|duplicate|doorway|place-specific|landmark/i.test(line));
  const avoid = avoidedByFeedback(feedback);
  const topics = [...dna.brandBrain.forbiddenTopics, ...avoid.topics];
  const usable = (text: string) =>
    forbiddenTopicsIn(text, topics).length === 0 && !avoid.claims.some((claim) => names(text, claim));

  const business = dna.identity.businessName;
  const service = cluster.service.name;
  const serviceLower = lowerFirst(service);
  const place = cluster.place;
  const dnaService = dna.services.find((s) => s.slug === cluster.service.slug);
  const serviceStems = new Set(
    [service, ...(dnaService?.keywords ?? []), ...cluster.secondaryKeywords].flatMap(significantStems),
  );
  const placeIndex = Math.max(0, [...dna.geoScope.cities, ...dna.geoScope.areas].indexOf(place));
  const miles = MILES.has((dna.geoScope.country ?? "").toUpperCase());

  // The place's landmarks, the page's own one first.
  const sorted = sortAnchors(anchorsOfPlace(input.anchors, place)).filter((a) => usable(anchorWithKind(a)));
  const serviceIndex = Math.max(
    0,
    dna.services.findIndex((s) => s.slug === cluster.service.slug),
  );
  const primaryAt = sorted.length ? serviceIndex % sorted.length : 0;
  const ordered = [...sorted.slice(primaryAt), ...sorted.slice(0, primaryAt)];
  const listed = ordered.slice(0, expanded ? 8 : 5);
  const primary = listed[0];

  // Business facts: none about another service, this service's first. Keywords naming a place are the strategist's.
  const subjects = dna.services.map((s) => ({ slug: s.slug, stems: subjectStems(s.name) }));
  const ownSubject = subjects.find((s) => s.slug === cluster.service.slug)?.stems ?? subjectStems(service);
  const aboutOther = (text: string) =>
    !isAbout(text, ownSubject) && subjects.some((s) => s.slug !== cluster.service.slug && isAbout(text, s.stems));
  const relevant = <T>(items: T[], textOf: (item: T) => string, max: number) =>
    rankByRelevance(
      items.filter((item) => usable(textOf(item)) && !aboutOther(textOf(item))),
      textOf,
      serviceStems,
      placeIndex,
    ).slice(0, max);
  const places = [...dna.geoScope.cities, ...dna.geoScope.areas, place];
  const keywords = [...new Set(dnaService?.keywords ?? [])]
    .filter((k) => usable(k) && !places.some((p) => names(k, p)) && k.toLowerCase() !== service.toLowerCase())
    .slice(0, 6);
  const differentiators = relevant(dna.brandBrain.differentiators, (d) => d, expanded ? 3 : 6);
  const tips = relevant(dna.brandBrain.insiderTips, (t) => t, expanded ? 1 : 3);
  const faqs = relevant(dna.brandBrain.objections, (o) => `${o.objection} ${o.answer}`, expanded ? 2 : 4);

  const h = escapeHtml;
  const html: string[] = [];

  html.push(`<h2>${h(service)} in ${h(place)}</h2>`);
  const around = listed.slice(0, 3).map(anchorWithKind);
  html.push(
    `<p>${h(business)} offers ${h(serviceLower)} in ${h(place)}.${
      around.length ? ` We work across ${h(place)}, including around ${h(joinAnd(around))}.` : ""
    }</p>`,
  );
  if (keywords.length) html.push(`<p>Our ${h(serviceLower)} work includes ${h(joinAnd(keywords))}.</p>`);
  const neighbours = neighboursOf(place, input.anchors, [...dna.geoScope.cities, ...dna.geoScope.areas], miles);
  if (neighbours.length)
    html.push(
      `<p>${h(place)} lies ${h(joinAnd(neighbours))}, ${neighbours.length > 1 ? "places" : "a place"} we also serve.</p>`,
    );

  if (primary) {
    html.push(`<h2>Landmarks we work around in ${h(place)}</h2>`);
    html.push(
      `<p>Near ${h(anchorWithKind(primary))}? ${h(business)} does ${h(serviceLower)} around it and across ${h(place)}.</p>`,
    );
    const others = listed.slice(1);
    if (others.length) {
      // Each pair of landmarks is related once: to the page's own landmark, then to its nearest other.
      const stated = new Set<string>();
      const pair = (a: SeoAnchor, b: SeoAnchor) => [a.osmId, b.osmId].sort().join(" ");
      const items = others.map((anchor) => {
        let line = `${anchorWithKind(anchor)}: ${relation(anchor, primary, miles)}.`;
        const nearest = nearestOf(anchor, others);
        if (nearest && !stated.has(pair(anchor, nearest))) {
          stated.add(pair(anchor, nearest));
          line += ` The closest other landmark here is ${nearest.name}, ${relation(nearest, anchor, miles)}.`;
        }
        return `<li>${h(line)}</li>`;
      });
      html.push(`<ul>${items.join("")}</ul>`);
    }
  }

  if (differentiators.length) {
    html.push(`<h2>Why ${h(business)} for ${h(serviceLower)}</h2>`);
    html.push(`<ul>${differentiators.map((d) => `<li>${h(sentence(d))}</li>`).join("")}</ul>`);
  }
  if (tips.length) {
    html.push(`<h2>Insider tips on ${h(serviceLower)}</h2>`);
    html.push(`<ul>${tips.map((t) => `<li>${h(sentence(t))}</li>`).join("")}</ul>`);
  }
  if (faqs.length) {
    html.push(`<h2>Common questions about ${h(serviceLower)} in ${h(place)}</h2>`);
    for (const faq of faqs) html.push(`<h3>${h(faq.objection)}</h3><p>${h(sentence(faq.answer))}</p>`);
  }

  html.push(`<h2>Book ${h(serviceLower)} in ${h(place)}</h2>`);
  html.push(`<p>${contactLine(dna, business, serviceLower, place)}</p>`);

  return {
    slug: cluster.slug,
    title: titleOf(service, place, business),
    metaDescription: metaOf(dna, service, place, business, differentiators),
    html: html.join("\n"),
    jsonLd: jsonLdOf(dna, cluster, faqs),
  };
}

// ---------------------------------------------------------------- feedback

/** Phrases the feedback quotes: after "forbidden", topics to avoid; after a claim, claim text to avoid. */
function avoidedByFeedback(feedback: string[]): { topics: string[]; claims: string[] } {
  const topics: string[] = [];
  const claims: string[] = [];
  for (const line of feedback) {
    const quoted = [...line.matchAll(/["“]([^"”]{2,200})["”]/g)].map((m) => m[1] ?? "");
    if (/forbidden/i.test(line)) topics.push(...quoted.slice(0, 1));
    else if (/claim|invent|does not (?:hold|say)/i.test(line)) claims.push(...quoted.slice(0, 1));
  }
  return { topics, claims };
}

// ---------------------------------------------------------------- places

function sortAnchors(anchors: SeoAnchor[]): SeoAnchor[] {
  const rank = (a: SeoAnchor) => {
    const at = KIND_ORDER.indexOf(a.kind);
    return at < 0 ? KIND_ORDER.length : at;
  };
  const unique = [...new Map(anchors.map((a) => [a.osmId, a])).values()];
  return unique.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || a.osmId.localeCompare(b.osmId));
}

/** "Old Settlers Park", "Williamson County Jester Annex (courthouse)": the kind when the name does not say it. */
function anchorWithKind(anchor: SeoAnchor): string {
  const kind = KINDS[anchor.kind];
  const label = kind?.label ?? anchor.kind.replace(/[_-]+/g, " ");
  if (!label || (kind ? kind.saidBy.test(anchor.name) : names(anchor.name, label))) return anchor.name;
  return `${anchor.name} (${label})`;
}

function distanceKm(a: SeoAnchor, b: SeoAnchor): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

const COMPASS = ["north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest"];

function direction(from: SeoAnchor, to: SeoAnchor): string {
  const rad = Math.PI / 180;
  const y = Math.sin((to.lon - from.lon) * rad) * Math.cos(to.lat * rad);
  const x =
    Math.cos(from.lat * rad) * Math.sin(to.lat * rad) -
    Math.sin(from.lat * rad) * Math.cos(to.lat * rad) * Math.cos((to.lon - from.lon) * rad);
  const bearing = (Math.atan2(y, x) / rad + 360) % 360;
  return COMPASS[Math.round(bearing / 45) % 8] ?? "north";
}

/** "about 1.4 miles northeast of Round Rock City Hall": where `anchor` lies from `from`. */
function relation(anchor: SeoAnchor, from: SeoAnchor, miles: boolean): string {
  const km = distanceKm(from, anchor);
  if (km < 0.15) return `right beside ${from.name}`;
  const distance = miles
    ? `${(km / 1.609344).toFixed(1)} miles`
    : km < 1
      ? `${Math.round(km * 10) * 100} m`
      : `${km.toFixed(1)} km`;
  return `about ${distance} ${direction(from, anchor)} of ${from.name}`;
}

/**
 * "about 15 miles north of Austin": where `place` lies from the other served
 * places whose landmarks are known, nearest first (up to 3). A place's
 * position is the middle of its landmarks, hence "about".
 */
function neighboursOf(place: string, anchors: SeoAnchor[], served: string[], miles: boolean): string[] {
  const centre = (name: string): SeoAnchor | undefined => {
    const here = anchorsOfPlace(anchors, name);
    if (!here.length) return undefined;
    const lat = here.reduce((sum, a) => sum + a.lat, 0) / here.length;
    const lon = here.reduce((sum, a) => sum + a.lon, 0) / here.length;
    return { osmId: `centre/${name}`, name, kind: "place", place: name, lat, lon };
  };
  const from = centre(place);
  if (!from) return [];
  const around = served
    .filter((other) => other.toLowerCase() !== place.toLowerCase())
    .map(centre)
    .filter((c): c is SeoAnchor => c !== undefined)
    .sort((a, b) => distanceKm(from, a) - distanceKm(from, b))
    .slice(0, 3);
  return around.map((other) => {
    const km = distanceKm(other, from);
    const amount = miles ? km / 1.609344 : km;
    const rounded = amount >= 10 ? String(Math.round(amount)) : amount.toFixed(1);
    return `about ${rounded} ${miles ? "miles" : "km"} ${direction(other, from)} of ${other.name}`;
  });
}

function nearestOf(anchor: SeoAnchor, among: SeoAnchor[]): SeoAnchor | undefined {
  let best: SeoAnchor | undefined;
  for (const other of among) {
    if (other.osmId === anchor.osmId) continue;
    if (!best || distanceKm(anchor, other) < distanceKm(anchor, best)) best = other;
  }
  return best;
}

// ---------------------------------------------------------------- business facts

/** Items sharing most words with the service first; ties keep the DNA's order, rotated by place so towns vary. */
function rankByRelevance<T>(items: T[], textOf: (item: T) => string, stems: Set<string>, rotate: number): T[] {
  const scored = items.map((item, index) => ({
    item,
    overlap: overlapOf(textOf(item), stems),
    order: (((index - rotate) % items.length) + items.length) % items.length,
  }));
  return scored.sort((a, b) => b.overlap - a.overlap || a.order - b.order).map((s) => s.item);
}

/** Words that name the work rather than its subject: "Water heater repair" is about "water heater". */
const WORK_WORDS = new Set([
  "repair",
  "cleaning",
  "installation",
  "install",
  "replacement",
  "service",
  "maintenance",
  "inspection",
  "removal",
  "fitting",
]);

/** The stems that say what a service is about: its name's significant words less the work words (all of them if none is left). */
function subjectStems(name: string): string[] {
  const all = significantStems(name);
  const subject = all.filter((s) => !WORK_WORDS.has(s));
  return subject.length ? subject : all;
}

/** Whether `text` is about a service: it holds every word of the service's subject. */
const isAbout = (text: string, subject: string[]) => {
  const present = new Set(significantStems(text));
  return subject.length > 0 && subject.every((s) => present.has(s));
};

function overlapOf(text: string, stems: Set<string>): number {
  return new Set(significantStems(text).filter((s) => stems.has(s))).size;
}

function contactLine(dna: SeoDna, business: string, serviceLower: string, place: string): string {
  const h = escapeHtml;
  const { phone, email, website } = dna.identity;
  const ways: string[] = [];
  if (phone) ways.push(`call <a href="tel:${h(phone.replace(/[^\d+]/g, ""))}">${h(phone)}</a>`);
  if (email) ways.push(`email <a href="mailto:${h(email)}">${h(email)}</a>`);
  if (website)
    ways.push(`visit <a href="${h(website)}">${h(website.replace(/^https?:\/\//, "").replace(/\/$/, ""))}</a>`);
  const ask = `To book ${h(serviceLower)} in ${h(place)} with ${h(business)}`;
  return ways.length ? `${ask}, ${joinAnd(ways, "or")}.` : `${ask}, get in touch with ${h(business)}.`;
}

// ---------------------------------------------------------------- title, meta, JSON-LD

/** "{Service} in {Place} | {Business}", shortened to 60: legal suffix off, then the business, then words. */
function titleOf(service: string, place: string, business: string): string {
  const shortBusiness = business.replace(/,?\s+(?:llc|inc\.?|ltd\.?|co\.?|corp\.?|l\.l\.c\.)$/i, "");
  const candidates = [
    `${service} in ${place} | ${business}`,
    `${service} in ${place} | ${shortBusiness}`,
    `${service} in ${place}`,
  ];
  return candidates.find((c) => c.length <= TITLE_MAX) ?? clipWords(`${service} in ${place}`, TITLE_MAX);
}

function metaOf(dna: SeoDna, service: string, place: string, business: string, differentiators: string[]): string {
  const base = `${service} in ${place} from ${business}.`;
  const call = dna.identity.phone ? ` Call ${dna.identity.phone}.` : "";
  if (base.length + call.length > META_MAX) return clipWords(base, META_MAX);
  let meta = base;
  for (const d of differentiators) {
    const next = ` ${sentence(d)}`;
    if (meta.length + next.length + call.length <= META_MAX) meta += next;
  }
  return meta + call;
}

function jsonLdOf(dna: SeoDna, cluster: SeoCluster, faqs: { objection: string; answer: string }[]) {
  const { businessName, phone, email, website, address } = dna.identity;
  const area = {
    "@type": dna.geoScope.cities.includes(cluster.place) ? "City" : "Place",
    name: cluster.place,
  };
  const business: Record<string, unknown> = {
    "@context": "https://schema.org",
    "@type": "LocalBusiness",
    name: businessName,
    ...(phone ? { telephone: phone } : {}),
    ...(email ? { email } : {}),
    ...(website ? { url: website } : {}),
    ...(address ? { address } : {}),
    areaServed: area,
    makesOffer: {
      "@type": "Offer",
      itemOffered: {
        "@type": "Service",
        name: cluster.service.name,
        serviceType: cluster.service.name,
        areaServed: area,
      },
    },
  };
  const out: Record<string, unknown>[] = [business];
  if (faqs.length)
    out.push({
      "@context": "https://schema.org",
      "@type": "FAQPage",
      mainEntity: faqs.map((faq) => ({
        "@type": "Question",
        name: faq.objection,
        acceptedAnswer: { "@type": "Answer", text: faq.answer },
      })),
    });
  return out;
}

// ---------------------------------------------------------------- words

/** "Drain cleaning" → "drain cleaning"; "HVAC repair" stays. */
const lowerFirst = (text: string) => (/^\p{Lu}\p{Ll}/u.test(text) ? text[0]?.toLowerCase() + text.slice(1) : text);

const sentence = (text: string) => (/[.!?…]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

function joinAnd(items: string[], conjunction = "and"): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items[items.length - 1]}`;
}

function clipWords(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:|-]+$/, "")}…`;
}
