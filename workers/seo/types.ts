/**
 * Programmatic SEO (#17): what each stage of the pipeline hands the next.
 * Stages persist these as entities (`anchor`, `keyword` for a cluster,
 * `page`), so a run resumes where it stopped and a re-run redoes only what
 * changed.
 */

/** A landmark a page is anchored to (Scout, from OpenStreetMap's Overpass API). */
export interface SeoAnchor {
  /** OpenStreetMap's type and id, e.g. "node/123": the anchor's identity across runs. */
  osmId: string;
  name: string;
  /** courthouse, police, hospital, park, attraction, townhall, library … */
  kind: string;
  /** The city or suburb it was found in (as the DNA names it). */
  place: string;
  lat: number;
  lon: number;
}

/** One service in one place: one page (Strategist). */
export interface SeoCluster {
  service: { name: string; slug: string };
  place: string;
  /** Unique across the project's pages: no two pages target the same primary keyword. */
  primaryKeyword: string;
  secondaryKeywords: string[];
  intent: "transactional" | "commercial" | "informational";
  /** The page's slug: `{service}-{place}`. */
  slug: string;
}

/** A written page (Writer), before the critic, links and media. */
export interface PageDraft {
  slug: string;
  /** At most 60 characters. */
  title: string;
  /** At most 155 characters. */
  metaDescription: string;
  /** The page body: HTML without <html>/<head>/<body>, headings from <h2>. */
  html: string;
  /** schema.org objects (LocalBusiness/Service, FAQPage), serialized into <script type="application/ld+json">. */
  jsonLd: Record<string, unknown>[];
}

/** The critic's verdict on one page. */
export interface CriticReport {
  /** 0–100 by the rubric. */
  score: number;
  pass: boolean;
  /** Why, one line each, for the owner and for the writer's next attempt. */
  reasons: string[];
  /** Forbidden topics the page touches (DNA brandBrain.forbiddenTopics). */
  forbidden: string[];
  /** Claims the DNA does not hold: prices, reviews/ratings, licences, guarantees, years in business… */
  invented: string[];
  /** The most similar other page of the project and how similar (0–1, shingled Jaccard). */
  nearest: { slug: string; similarity: number } | null;
  /** Words on the page that are specific to its place (the place, its anchors, their kinds). */
  placeSpecificWords: number;
}
