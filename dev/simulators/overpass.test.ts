import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { startOverpassSimulator } from "./overpass.ts";
import { AREAS, FEATURES } from "./overpass-extract.ts";

let overpass: Awaited<ReturnType<typeof startOverpassSimulator>>;

before(async () => {
  overpass = await startOverpassSimulator({ port: 0 });
});

after(async () => {
  await overpass.close();
});

interface OverpassElement {
  type: string;
  id: number;
  lat?: number;
  lon?: number;
  center?: { lat: number; lon: number };
  nodes?: number[];
  members?: { type: string; ref: number; role: string }[];
  tags: Record<string, string>;
}

/** The query the pipeline sends: every landmark kind in one union, ways with their centre. */
const landmarksIn = (city: string) => `[out:json][timeout:25];
area["name"="${city}"]["boundary"="administrative"]->.a;
(
  node["amenity"="courthouse"](area.a);
  way["amenity"="courthouse"](area.a);
  node["amenity"="police"](area.a);
  node["amenity"="hospital"](area.a);
  way["amenity"="hospital"](area.a);
  node["leisure"="park"](area.a);
  way["leisure"="park"](area.a);
  node["tourism"="attraction"](area.a);
  way["tourism"="attraction"](area.a);
  node["amenity"="townhall"](area.a);
  node["amenity"="library"](area.a);
);
out center;`;

const post = (query: string, base = overpass.baseUrl) =>
  fetch(`${base}/api/interpreter`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ data: query }),
  });
const elementsOf = async (response: Response) => {
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { elements: OverpassElement[] }).elements;
};
const names = (elements: OverpassElement[]) => elements.map((e) => e.tags.name);
const put = (url: string, value: unknown) =>
  fetch(url, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(value) });

describe("the interpreter", () => {
  it("answers a POSTed union in Overpass's JSON, nodes then ways, ways with their centre", async () => {
    const response = await post(landmarksIn("Austin"));
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    const body = await response.json();
    assert.equal(body.version, 0.6);
    assert.equal(body.generator, "Overpass API (simulator)");
    assert.match(body.osm3s.copyright, /openstreetmap\.org.*ODbL/);
    assert.match(body.osm3s.timestamp_osm_base, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const elements = body.elements as OverpassElement[];
    assert.deepEqual(
      elements.map((e) => e.type),
      ["node", "node", "node", "node", "way", "way", "way", "way"],
    );
    assert.deepEqual(names(elements).sort(), [
      "Austin Central Library",
      "Austin City Hall",
      "Austin Police Department Headquarters",
      "Congress Avenue Bridge Bat Colony",
      "Dell Seton Medical Center at The University of Texas",
      "Heman Marion Sweatt Travis County Courthouse",
      "Texas State Capitol",
      "Zilker Metropolitan Park",
    ]);
    const police = elements.find((e) => e.tags.amenity === "police") as OverpassElement;
    assert.deepEqual(Object.keys(police), ["type", "id", "lat", "lon", "tags"]);
    const courthouse = elements.find((e) => e.tags.amenity === "courthouse") as OverpassElement;
    assert.deepEqual(Object.keys(courthouse), ["type", "id", "center", "nodes", "tags"]);
    assert.deepEqual(courthouse.center, { lat: 30.275, lon: -97.7461 });
    assert.equal(courthouse.nodes?.[0], courthouse.nodes?.at(-1), "a closed way");
    const ids = elements.map((e) => e.id);
    assert.deepEqual(
      ids.slice(0, 4),
      [...ids.slice(0, 4)].sort((a, b) => a - b),
    );
  });

  it("answers a GET, with an unquoted area filter; out body prints ways without a centre", async () => {
    const query = '[out:json];area[name="Round Rock"]->.a;way["amenity"="hospital"](area.a);out body;';
    const elements = await elementsOf(
      await fetch(`${overpass.baseUrl}/api/interpreter?data=${encodeURIComponent(query)}`),
    );
    assert.deepEqual(names(elements), ["St. David's Round Rock Medical Center"]);
    assert.equal(elements[0]?.center, undefined);
    assert.equal(elements[0]?.nodes?.length, 5);
  });

  it("takes the bare QL as a POST body too", async () => {
    const query = '[out:json];area["name"="Pflugerville"]->.a;node["amenity"="library"](area.a);out;';
    const response = await fetch(`${overpass.baseUrl}/api/interpreter`, { method: "POST", body: query });
    assert.deepEqual(names(await elementsOf(response)), ["Pflugerville Public Library"]);
  });

  it('["k"] matches any value, and other cities\' landmarks stay out', async () => {
    const query =
      '[out:json];area["name"="Cedar Park"]->.cp;(node["amenity"](area.cp);way["amenity"](area.cp););out center;';
    const elements = await elementsOf(await post(query));
    const expected = FEATURES.filter((f) => f.area === "Cedar Park" && f.tags.amenity).map((f) => f.tags.name);
    assert.deepEqual(names(elements).sort(), expected.sort());
    assert.ok(elements.every((e) => e.tags.amenity));
    assert.ok(!names(elements).includes("H-E-B Center at Cedar Park"), "an attraction has no amenity tag");
  });

  it("uses the default set, and ignores comments", async () => {
    const query = `[out:json];
// the city, into _
area["name"="Austin"];
/* a park,
   by the default set */
node["tourism"="attraction"](area);
out;`;
    assert.deepEqual(names(await elementsOf(await post(query))), ["Congress Avenue Bridge Bat Colony"]);
  });

  it("an unknown area gives no elements", async () => {
    const elements = await elementsOf(await post(landmarksIn("Springfield")));
    assert.deepEqual(elements, []);
    const lowercase = await elementsOf(await post(landmarksIn("austin")));
    assert.deepEqual(lowercase, [], "tag values are case-sensitive, as in OSM");
  });

  it("prints each city's boundary with its centre, and the area Overpass derives from it", async () => {
    for (const area of AREAS) {
      const query = `[out:json];rel["name"="${area.name}"]["boundary"="administrative"];out center;area["name"="${area.name}"];out;`;
      const [boundary, derived, ...rest] = await elementsOf(await post(query));
      assert.equal(rest.length, 0);
      assert.equal(boundary?.type, "relation");
      assert.deepEqual(boundary?.center, area.centre);
      assert.deepEqual(boundary?.members, [{ type: "node", ref: area.placeNode.id, role: "admin_centre" }]);
      assert.equal(derived?.type, "area");
      assert.equal(derived?.id, 3_600_000_000 + area.relationId);
      assert.equal(derived?.tags.admin_level, "8");
    }
  });
});

describe("the extract", () => {
  it("has 3–8 landmarks in each city, near its centre, across the kinds the pipeline asks for", async () => {
    const kinds = new Set<string>();
    for (const area of AREAS) {
      const elements = await elementsOf(await post(landmarksIn(area.name)));
      assert.ok(elements.length >= 3 && elements.length <= 8, `${area.name}: ${elements.length}`);
      for (const element of elements) {
        const at = element.center ?? { lat: element.lat as number, lon: element.lon as number };
        const far = Math.hypot(at.lat - area.centre.lat, at.lon - area.centre.lon);
        assert.ok(far < 0.1, `${element.tags.name} is ${far.toFixed(3)}° from ${area.name}`);
        assert.ok(element.tags.name);
        kinds.add(element.tags.amenity ?? element.tags.leisure ?? element.tags.tourism ?? "");
      }
    }
    assert.deepEqual([...kinds].sort(), [
      "attraction",
      "courthouse",
      "hospital",
      "library",
      "park",
      "police",
      "townhall",
    ]);
    const ids = FEATURES.map((f) => `${f.type}/${f.id}`);
    assert.equal(new Set(ids).size, ids.length, "ids are unique");
  });
});

describe("queries outside the subset", () => {
  const refused = async (query: string, line: number, words: RegExp) => {
    const response = await post(query);
    assert.equal(response.status, 400, query);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    const text = await response.text();
    assert.match(text, new RegExp(`^Error: line ${line}: (parse|static) error: `), text);
    assert.match(text, words);
  };

  it("are refused with Overpass's error line", async () => {
    await refused('area["name"="Austin"]->.a;node(area.a);out;', 1, /\[out:json\]/);
    await refused('[out:xml];node["amenity"="police"];out;', 1, /only \[out:json\]/);
    await refused('[out:json];\narea["name"="Austin"]->.a;\nnode(around:500,30.27,-97.74);\nout;', 3, /around/);
    await refused('[out:json];\nnode["name"~"Austin"];\nout;', 2, /'~'/);
    await refused('[out:json];\nnode["amenity"!="police"];out;', 2, /'!'/);
    await refused('[out:json];\n(\n  node["amenity"="police"]\n);\nout;', 4, /';' expected - '\)' found/);
    await refused('[out:json];\nnode["amenity"="police"];\nout meta;', 3, /out meta/);
    await refused('[out:json];\nshop["x"="y"];\nout;', 2, /Unknown type "shop"/);
    await refused("[out:json][bbox:30.1,-97.9,30.6,-97.5];\nnode;out;", 1, /bbox/);
    await refused('[out:json];area["name"="Austin"](area.b);out;', 1, /only tag filters/);
    await refused('[out:json];node["amenity"="police"]', 1, /';' expected - end of input found/);
  });

  it("and so is a request without a query", async () => {
    const response = await fetch(`${overpass.baseUrl}/api/interpreter`);
    assert.equal(response.status, 400);
    assert.match(await response.text(), /^Error: line 1: parse error: no query/);
  });
});

describe("modes and lanes", () => {
  it("429 is rate limiting with Retry-After, 500 a runtime error, each in its own lane", async () => {
    const limited = `${overpass.baseUrl}/_sim/lanes/limited`;
    const broken = `${overpass.baseUrl}/_sim/lanes/broken`;
    assert.equal((await put(`${limited}/_sim/mode`, { mode: "429" })).status, 200);
    assert.equal((await put(`${broken}/_sim/mode`, { mode: "500" })).status, 200);
    const throttled = await post(landmarksIn("Austin"), limited);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get("retry-after"), "2");
    assert.match(await throttled.text(), /rate_limited/);
    const failed = await post(landmarksIn("Austin"), broken);
    assert.equal(failed.status, 500);
    assert.match(await failed.text(), /^Error: runtime error: .*too busy/);
    assert.equal((await post(landmarksIn("Austin"))).status, 200, "the root is untouched");
    assert.equal((await post(landmarksIn("Austin"), `${overpass.baseUrl}/_sim/lanes/calm`)).status, 200);
    await put(`${limited}/_sim/mode`, { mode: "ok" });
    assert.equal((await post(landmarksIn("Austin"), limited)).status, 200);
    assert.equal((await put(`${limited}/_sim/mode`, { mode: "slow" })).status, 400);
  });

  it("each lane logs the queries it was sent, from GET and POST alike", async () => {
    const lane = `${overpass.baseUrl}/_sim/lanes/counted`;
    const query = '[out:json];area["name"="Austin"]->.a;node["amenity"="police"](area.a);out;';
    await post(landmarksIn("Round Rock"), lane);
    await fetch(`${lane}/api/interpreter?data=${encodeURIComponent(query)}`);
    assert.deepEqual(await (await fetch(`${lane}/_sim/requests`)).json(), [landmarksIn("Round Rock"), query]);
    assert.deepEqual(await (await fetch(`${overpass.baseUrl}/_sim/lanes/unused/_sim/requests`)).json(), []);
  });

  it("hang never answers, and close() still ends", async () => {
    const own = await startOverpassSimulator({ port: 0 });
    await put(`${own.baseUrl}/_sim/mode`, { mode: "hang" });
    const controller = new AbortController();
    const asked = post(landmarksIn("Austin"), own.baseUrl);
    const abandoned = fetch(`${own.baseUrl}/api/interpreter`, {
      method: "POST",
      body: new URLSearchParams({ data: landmarksIn("Cedar Park") }),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(abandoned, { name: "AbortError" });
    // A request still waiting when the simulator closes: close() must not wait for it.
    const pending = new Promise<string>((resolve) => {
      http
        .get(`${own.baseUrl}/api/interpreter?data=x`, () => resolve("answered"))
        .on("error", (error) => resolve(error.message));
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = own.close().then(() => "closed");
    const timeout = new Promise((resolve) => setTimeout(() => resolve("close() hung"), 3_000).unref());
    assert.equal(await Promise.race([closed, timeout]), "closed");
    assert.equal(await pending, "socket hang up");
    await assert.rejects(asked);
  });
});
