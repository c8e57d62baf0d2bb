import type { Dna } from "../dna/schema";
import type { LocalSeoSettings } from "./settings";
import type { SeoCluster } from "./types";

/**
 * Strategist: one cluster (one page) per service × place. The primary
 * keyword is the service in the place; secondary keywords are the service's
 * own keywords in the place. No two pages target the same primary keyword:
 * a second service whose name says the same thing in a place is left out,
 * with the reason.
 */
export const slugOf = (text: string) =>
  text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);

export function placesOf(dna: Dna, settings: LocalSeoSettings): string[] {
  const places = settings.places.length > 0 ? settings.places : [...dna.geoScope.cities, ...dna.geoScope.areas];
  return [...new Map(places.map((place) => [place.toLowerCase(), place])).values()];
}

export function servicesOf(dna: Dna, settings: LocalSeoSettings): Dna["services"] {
  return settings.services.length > 0
    ? dna.services.filter((service) => settings.services.includes(service.slug))
    : dna.services;
}

export function planClusters(
  dna: Dna,
  settings: LocalSeoSettings,
): { clusters: SeoCluster[]; skipped: { slug: string; reason: string }[] } {
  const clusters: SeoCluster[] = [];
  const skipped: { slug: string; reason: string }[] = [];
  const taken = new Map<string, string>();
  for (const service of servicesOf(dna, settings)) {
    for (const place of placesOf(dna, settings)) {
      const primaryKeyword = `${service.name} ${place}`.toLowerCase().replace(/\s+/g, " ").trim();
      const slug = `${service.slug}-${slugOf(place)}`.slice(0, 80);
      const owner = taken.get(primaryKeyword);
      if (owner) {
        skipped.push({ slug, reason: `"${primaryKeyword}" is already the primary keyword of ${owner}` });
        continue;
      }
      taken.set(primaryKeyword, slug);
      const secondaryKeywords = [
        ...new Set(
          service.keywords.map((keyword) => `${keyword} ${place}`.toLowerCase()).filter((k) => k !== primaryKeyword),
        ),
      ].slice(0, 8);
      clusters.push({
        service: { name: service.name, slug: service.slug },
        place,
        primaryKeyword,
        secondaryKeywords,
        // Someone searching a service with a place is looking to hire.
        intent: "transactional",
        slug,
      });
    }
  }
  return { clusters, skipped };
}
