import { fetchOutbound, OutboundStatusError } from "../outbound/fetch";
import type { LocalSeoSettings } from "./settings";
import type { SeoAnchor } from "./types";

/**
 * Scout: landmarks in each place, from OpenStreetMap's Overpass API
 * (`OVERPASS_API_URL`: system configuration; locally the simulator in
 * dev/simulators/overpass.ts). One query per place: the place's
 * administrative area by name, then nodes and ways of the chosen kinds in it,
 * with `out center` so a way has a point too.
 */
const TAGS: Record<LocalSeoSettings["anchorKinds"][number], [string, string]> = {
  courthouse: ["amenity", "courthouse"],
  police: ["amenity", "police"],
  hospital: ["amenity", "hospital"],
  park: ["leisure", "park"],
  townhall: ["amenity", "townhall"],
  library: ["amenity", "library"],
  attraction: ["tourism", "attraction"],
};

/** Overpass QL quotes: a place name can hold a quote or a backslash. */
const quoted = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

export function anchorQuery(place: string, kinds: LocalSeoSettings["anchorKinds"]): string {
  const selectors = kinds.flatMap((kind) => {
    const [key, value] = TAGS[kind];
    return [`  node[${quoted(key)}=${quoted(value)}](area.a);`, `  way[${quoted(key)}=${quoted(value)}](area.a);`];
  });
  return [
    "[out:json][timeout:25];",
    `area["name"=${quoted(place)}]["boundary"="administrative"]->.a;`,
    "(",
    ...selectors,
    ");",
    "out center;",
  ].join("\n");
}

interface OverpassElement {
  type: string;
  id: number;
  lat?: number;
  lon?: number;
  center?: { lat: number; lon: number };
  tags?: Record<string, string>;
}

/** Overpass is busy (429, 5xx) or unreachable: the stage fails, and its retry asks again. */
export class OverpassUnavailable extends Error {
  override name = "OverpassUnavailable";
}

export async function findAnchors(
  place: string,
  kinds: LocalSeoSettings["anchorKinds"],
  env: Pick<Env, "APP_ENV" | "OVERPASS_API_URL">,
): Promise<SeoAnchor[]> {
  let answer: { elements?: OverpassElement[] };
  try {
    const response = await fetchOutbound(
      env.OVERPASS_API_URL,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ data: anchorQuery(place, kinds) }).toString(),
      },
      { appEnv: env.APP_ENV, field: "OVERPASS_API_URL", what: "the Overpass API", timeoutMs: 30_000 },
    );
    answer = (await response.json()) as typeof answer;
  } catch (error) {
    if (
      error instanceof OutboundStatusError ||
      error instanceof TypeError ||
      (error as Error)?.name === "TimeoutError"
    ) {
      throw new OverpassUnavailable(`the Overpass API could not answer for ${place}: ${(error as Error).message}`);
    }
    throw error;
  }
  const kindOf = (tags: Record<string, string>) =>
    (Object.keys(TAGS) as LocalSeoSettings["anchorKinds"]).find((kind) => {
      const [key, value] = TAGS[kind];
      return tags[key] === value;
    });
  return (answer.elements ?? []).flatMap((element) => {
    const tags = element.tags ?? {};
    const kind = kindOf(tags);
    const lat = element.lat ?? element.center?.lat;
    const lon = element.lon ?? element.center?.lon;
    if (!kind || !tags.name || lat === undefined || lon === undefined) return [];
    return [{ osmId: `${element.type}/${element.id}`, name: tags.name, kind, place, lat, lon }];
  });
}
