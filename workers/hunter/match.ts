/**
 * Which posts the business wants: boards search loosely (any word, nearby
 * towns), so the hunter decides itself. A post matches when one of the
 * keywords appears in it as a phrase, and it is in one of the places (or,
 * where the board gives coordinates, within the radius of the center).
 */
export interface HuntScope {
  keywords: string[];
  places: string[];
  radiusKm?: number | undefined;
  center?: { lat: number; lon: number } | undefined;
}

const normalize = (text: string) =>
  ` ${text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()} `;

/** The first keyword the text contains as whole words, in order. */
export function matchingKeyword(text: string, keywords: string[]): string | undefined {
  const haystack = normalize(text);
  return keywords.find((keyword) => {
    const needle = normalize(keyword);
    return needle.trim() !== "" && haystack.includes(needle);
  });
}

export function inScope(place: string | null, coordinates: { lat: number; lon: number } | null, scope: HuntScope) {
  if (scope.places.length === 0 && !scope.radiusKm) return true;
  const here = normalize(place ?? "");
  if (scope.places.some((p) => here.includes(normalize(p)))) return true;
  if (scope.radiusKm && scope.center && coordinates) {
    return distanceKm(scope.center, coordinates) <= scope.radiusKm;
  }
  return false;
}

/** Great-circle distance (haversine), in km. */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = (deg: number) => (deg * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}
