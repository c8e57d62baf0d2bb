/**
 * Local OpenStreetMap Overpass API: the part of it Apex's programmatic-SEO
 * pipeline asks, answered from a bundled extract of the Austin, TX metro
 * (overpass-extract.ts: Austin, Round Rock, Pflugerville, Cedar Park).
 *
 *   POST /api/interpreter   body `data=<Overpass QL>` (form-encoded) or the bare QL
 *   GET  /api/interpreter?data=<Overpass QL>
 *     → 200 application/json, Overpass's `[out:json]` document:
 *       {"version":0.6,"generator":"Overpass API (simulator)",
 *        "osm3s":{"timestamp_osm_base","timestamp_areas_base","copyright"},
 *        "elements":[{"type":"node","id","lat","lon","tags"},
 *                    {"type":"way","id","center":{"lat","lon"},"nodes":[…],"tags"},
 *                    {"type":"relation","id","center","members":[…],"tags"},
 *                    {"type":"area","id","tags"}]}
 *       `center` only with `out center`; each `out` prints its set by type
 *       (node, way, relation, area), then id, once per element.
 *     → 400 text/plain "Error: line N: parse error: …" (or "static error: …")
 *       for anything outside the subset below; the real server says the same
 *       words inside an HTML page.
 *
 * The QL subset, statements run in order (`//` and block comments allowed):
 *   [out:json][timeout:N][maxsize:N];        settings; [out:json] is required
 *   area[…]->.a;                             an area by tags: `["k"="v"]`, `[k="v"]`, `["k"]`
 *                                            (e.g. ["name"="Austin"]["boundary"="administrative"])
 *   node|way|rel|relation|nwr[…](area.a)->.x;  tag filters as above, `(area)`/`(area.a)` filters
 *   ( statement; statement; … )->.x;         a union of such statements
 *   .x out; / out; / out body; / out center; / out body center;
 * `->.x` is optional everywhere (the default set `_`). An unknown area gives
 * no elements. Each city holds its landmarks, its place node (place=city)
 * and its boundary: `rel["name"="Austin"]["boundary"="administrative"];
 * out center;` prints the boundary's centre. Regex or negated filters, `(around:…)`, bbox and id filters,
 * recursion, `out meta`/`geom`/`count`, other settings: a 400.
 *
 * Control, at the root and in every lane:
 *   PUT /_sim/mode      {"mode":"ok"|"429"|"500"|"hang"} — 429: rate limited, with Retry-After: 2;
 *                       500: a runtime error; hang: no answer ever (close() still ends)
 *   GET /_sim/requests  the QL of every interpreter request, in order
 *
 * A lane, `/_sim/lanes/{name}` before any path (a base URL such as
 * `http://127.0.0.1:8796/_sim/lanes/geo-1`), has its own mode and request
 * log; the data is the same everywhere. Tests run in parallel against one
 * simulator, so each test that sets a mode or counts requests gets a lane.
 */
import http from "node:http";
import { AREAS, EXTRACT_TIMESTAMP, FEATURES } from "./overpass-extract.ts";
import { serve } from "./serve.ts";

interface OverpassSimulatorOptions {
  port: number;
  log?: (line: string) => void;
}

export interface OverpassSimulator {
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

type Mode = "ok" | "429" | "500" | "hang";

interface Lane {
  mode: Mode;
  requests: string[];
}

type ElementType = "node" | "way" | "relation" | "area";

/** One element of the extract, as Overpass models it; `area` is the city it lies in. */
interface OsmElement {
  type: ElementType;
  id: number;
  area: string;
  tags: Record<string, string>;
  lat: number;
  lon: number;
  nodes?: number[];
  members?: { type: "node"; ref: number; role: string }[];
}

/** Overpass's area ids: a relation's id plus 3 600 000 000. */
const AREA_ID_OFFSET = 3_600_000_000;

/** A way's node ids: never printed on their own, so four made-up corners closing the ring. */
const wayNodes = (wayId: number) => {
  const first = 9_000_000_000 + (wayId % 1_000_000) * 10;
  return [first, first + 1, first + 2, first + 3, first];
};

const ELEMENTS: OsmElement[] = [
  ...FEATURES.map((feature) => ({
    ...feature,
    ...(feature.type === "way" ? { nodes: wayNodes(feature.id) } : {}),
  })),
  ...AREAS.flatMap((area): OsmElement[] => {
    const boundaryTags = { name: area.name, boundary: "administrative", admin_level: "8" };
    return [
      {
        type: "node",
        id: area.placeNode.id,
        area: area.name,
        lat: area.placeNode.lat,
        lon: area.placeNode.lon,
        tags: { name: area.name, place: "city", population: String(area.population), "is_in:county": area.county },
      },
      {
        type: "relation",
        id: area.relationId,
        area: area.name,
        ...area.centre,
        members: [{ type: "node", ref: area.placeNode.id, role: "admin_centre" }],
        tags: { ...boundaryTags, type: "boundary" },
      },
      {
        type: "area",
        id: AREA_ID_OFFSET + area.relationId,
        area: area.name,
        ...area.centre,
        tags: { ...boundaryTags, type: "boundary" },
      },
    ];
  }),
];

const TYPE_ORDER: ElementType[] = ["node", "way", "relation", "area"];

/** A query the simulator cannot answer, worded as Overpass words it. */
class QueryError extends Error {
  line: number;
  stage: "parse" | "static";
  constructor(line: number, stage: "parse" | "static", message: string) {
    super(message);
    this.line = line;
    this.stage = stage;
  }
}

interface Token {
  kind: "word" | "string" | "punct" | "end";
  text: string;
  line: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let at = 0;
  while (at < source.length) {
    const char = source[at] as string;
    if (char === "\n") {
      line++;
      at++;
    } else if (/\s/.test(char)) {
      at++;
    } else if (source.startsWith("//", at)) {
      while (at < source.length && source[at] !== "\n") at++;
    } else if (source.startsWith("/*", at)) {
      const end = source.indexOf("*/", at + 2);
      if (end < 0) throw new QueryError(line, "parse", "unterminated comment");
      for (const inner of source.slice(at, end)) if (inner === "\n") line++;
      at = end + 2;
    } else if (source.startsWith("->", at)) {
      tokens.push({ kind: "punct", text: "->", line });
      at += 2;
    } else if ("[]();:=.,".includes(char)) {
      tokens.push({ kind: "punct", text: char, line });
      at++;
    } else if (char === '"' || char === "'") {
      const startLine = line;
      let text = "";
      at++;
      while (at < source.length && source[at] !== char) {
        if (source[at] === "\n") line++;
        if (source[at] === "\\" && at + 1 < source.length) {
          const escaped = source[at + 1] as string;
          text += escaped === "n" ? "\n" : escaped === "t" ? "\t" : escaped;
          at += 2;
        } else {
          text += source[at];
          at++;
        }
      }
      if (at >= source.length) throw new QueryError(startLine, "parse", "unterminated string");
      at++;
      tokens.push({ kind: "string", text, line: startLine });
    } else if (/[A-Za-z0-9_]/.test(char)) {
      const word = /^[A-Za-z0-9_]+/.exec(source.slice(at))?.[0] as string;
      tokens.push({ kind: "word", text: word, line });
      at += word.length;
    } else {
      // Left to the parser, which knows what was expected there.
      tokens.push({ kind: "punct", text: char, line });
      at++;
    }
  }
  tokens.push({ kind: "end", text: "end of input", line });
  return tokens;
}

interface TagFilter {
  key: string;
  value?: string;
}

interface SelectStatement {
  kind: "select";
  types: ElementType[];
  tags: TagFilter[];
  /** The sets whose areas an element must lie in (all of them). */
  inAreas: string[];
  into: string;
}

interface UnionStatement {
  kind: "union";
  members: (SelectStatement | UnionStatement)[];
  into: string;
}

interface OutStatement {
  kind: "out";
  from: string;
  center: boolean;
}

type Statement = SelectStatement | UnionStatement | OutStatement;

const TYPES: Record<string, ElementType[]> = {
  node: ["node"],
  way: ["way"],
  rel: ["relation"],
  relation: ["relation"],
  nwr: ["node", "way", "relation"],
  area: ["area"],
};

function parse(source: string): Statement[] {
  const tokens = tokenize(source);
  let at = 0;
  const peek = () => tokens[at] as Token;
  const next = () => tokens[at++] as Token;
  const quote = (token: Token) => (token.kind === "end" ? token.text : `'${token.text}'`);
  const expect = (text: string) => {
    const token = next();
    if (token.kind !== "punct" || token.text !== text) {
      throw new QueryError(token.line, "parse", `'${text}' expected - ${quote(token)} found.`);
    }
  };
  const isPunct = (text: string) => peek().kind === "punct" && peek().text === text;
  const name = (what: string) => {
    const token = next();
    if (token.kind !== "word" && token.kind !== "string") {
      throw new QueryError(token.line, "parse", `${what} expected - ${quote(token)} found.`);
    }
    return token.text;
  };

  // Settings: [out:json][timeout:25];
  let json = false;
  const first = peek();
  while (isPunct("[")) {
    next();
    const key = next();
    if (key.text !== "out" && key.text !== "timeout" && key.text !== "maxsize") {
      throw new QueryError(key.line, "parse", `setting [${key.text}:…] is not in the simulator's subset`);
    }
    expect(":");
    const value = name("Value");
    expect("]");
    if (key.text === "out") {
      if (value !== "json") {
        throw new QueryError(key.line, "static", `[out:${value}]: the simulator answers only [out:json]`);
      }
      json = true;
    } else if (!/^[1-9][0-9]*$/.test(value)) {
      throw new QueryError(key.line, "static", `[${key.text}:${value}]: a positive whole number expected`);
    }
    if (!isPunct("[")) expect(";");
  }
  if (!json) {
    throw new QueryError(first.line, "static", "the simulator answers only [out:json] queries; start with [out:json];");
  }

  const target = () => {
    if (!isPunct("->")) return "_";
    next();
    expect(".");
    return name("Set name");
  };

  function select(): SelectStatement | UnionStatement {
    if (isPunct("(")) {
      next();
      const members: (SelectStatement | UnionStatement)[] = [];
      while (!isPunct(")")) {
        if (peek().kind === "end") throw new QueryError(peek().line, "parse", "')' expected - end of input found.");
        members.push(select());
      }
      next();
      const into = target();
      expect(";");
      return { kind: "union", members, into };
    }
    const typeWord = next();
    const types = typeWord.kind === "word" ? TYPES[typeWord.text] : undefined;
    if (!types) {
      const what =
        typeWord.kind === "word" ? `Unknown type "${typeWord.text}"` : `Statement expected - ${quote(typeWord)} found.`;
      throw new QueryError(typeWord.line, "parse", what);
    }
    const statement: SelectStatement = { kind: "select", types, tags: [], inAreas: [], into: "_" };
    for (;;) {
      if (isPunct("[")) {
        next();
        const key = name("Key");
        if (isPunct("=")) {
          next();
          statement.tags.push({ key, value: name("Value") });
        } else if (isPunct("~") || isPunct("!")) {
          throw new QueryError(
            peek().line,
            "parse",
            `'${peek().text}' filters are not in the simulator's subset; only ["k"="v"] and ["k"]`,
          );
        } else {
          statement.tags.push({ key });
        }
        expect("]");
      } else if (isPunct("(")) {
        const open = next();
        const filter = next();
        if (filter.kind !== "word" || filter.text !== "area") {
          throw new QueryError(
            open.line,
            "parse",
            `the filter (${filter.text}…) is not in the simulator's subset; only (area) and (area.name)`,
          );
        }
        if (types.includes("area")) {
          throw new QueryError(
            open.line,
            "static",
            "an area statement takes only tag filters in the simulator's subset",
          );
        }
        let set = "_";
        if (isPunct(".")) {
          next();
          set = name("Set name");
        }
        expect(")");
        statement.inAreas.push(set);
      } else {
        break;
      }
    }
    statement.into = target();
    expect(";");
    return statement;
  }

  function out(): OutStatement {
    let from = "_";
    if (isPunct(".")) {
      next();
      from = name("Set name");
    }
    const verb = next();
    if (verb.kind !== "word" || verb.text !== "out") {
      throw new QueryError(verb.line, "parse", `'out' expected - ${quote(verb)} found.`);
    }
    let center = false;
    while (!isPunct(";")) {
      const option = next();
      if (option.kind === "word" && option.text === "body") continue;
      if (option.kind === "word" && option.text === "center") {
        center = true;
        continue;
      }
      if (option.kind === "end") throw new QueryError(option.line, "parse", "';' expected - end of input found.");
      throw new QueryError(
        option.line,
        "parse",
        `out ${option.text} is not in the simulator's subset; use out; out body; or out center;`,
      );
    }
    next();
    return { kind: "out", from, center };
  }

  const statements: Statement[] = [];
  while (peek().kind !== "end") {
    const token = peek();
    const isOut = (token.kind === "word" && token.text === "out") || (token.kind === "punct" && token.text === ".");
    statements.push(isOut ? out() : select());
  }
  return statements;
}

const matches = (element: OsmElement, filter: TagFilter) =>
  filter.value === undefined ? Object.hasOwn(element.tags, filter.key) : element.tags[filter.key] === filter.value;

/** Runs the statements in order, as Overpass does, and returns what the `out` statements print. */
function run(statements: Statement[]): Record<string, unknown>[] {
  const sets = new Map<string, OsmElement[]>();
  const evaluate = (statement: SelectStatement | UnionStatement): OsmElement[] => {
    let found: OsmElement[];
    if (statement.kind === "union") {
      found = [...new Set(statement.members.flatMap(evaluate))];
    } else {
      const areaNames = statement.inAreas.map(
        (set) => new Set((sets.get(set) ?? []).filter((e) => e.type === "area").map((e) => e.area)),
      );
      found = ELEMENTS.filter(
        (element) =>
          statement.types.includes(element.type) &&
          statement.tags.every((filter) => matches(element, filter)) &&
          areaNames.every((names) => names.has(element.area)),
      );
    }
    sets.set(statement.into, found);
    return found;
  };
  const printed: Record<string, unknown>[] = [];
  for (const statement of statements) {
    if (statement.kind !== "out") {
      evaluate(statement);
      continue;
    }
    const elements = [...new Set(sets.get(statement.from) ?? [])].sort(
      (a, b) => TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) || a.id - b.id,
    );
    for (const element of elements) printed.push(printable(element, statement.center));
  }
  return printed;
}

/** An element in Overpass's JSON, keys in its order. */
function printable(element: OsmElement, center: boolean): Record<string, unknown> {
  const { type, id, tags } = element;
  const middle = center ? { center: { lat: element.lat, lon: element.lon } } : {};
  switch (type) {
    case "node":
      return { type, id, lat: element.lat, lon: element.lon, tags };
    case "way":
      return { type, id, ...middle, nodes: element.nodes, tags };
    case "relation":
      return { type, id, ...middle, members: element.members, tags };
    case "area":
      return { type, id, tags };
  }
}

/** The QL of a request: `data=` from the query string or a form body, else the bare body. */
function queryOf(req: http.IncomingMessage, url: URL, body: string): string | null {
  if (req.method === "GET") return url.searchParams.get("data");
  const form = new URLSearchParams(body);
  return form.has("data") ? form.get("data") : body.trim() ? body : null;
}

export async function startOverpassSimulator(options: OverpassSimulatorOptions): Promise<OverpassSimulator> {
  const log = options.log ?? (() => undefined);
  const root: Lane = { mode: "ok", requests: [] };
  const lanes = new Map<string, Lane>();

  const send = (res: http.ServerResponse, status: number, type: string, body: string, headers = {}) => {
    res.writeHead(status, { "Content-Type": type, ...headers });
    res.end(body);
  };
  const json = (res: http.ServerResponse, status: number, value: unknown) =>
    send(res, status, "application/json", JSON.stringify(value));
  const text = (res: http.ServerResponse, status: number, body: string, headers = {}) =>
    send(res, status, "text/plain; charset=utf-8", body, headers);

  async function readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  async function control(req: http.IncomingMessage, res: http.ServerResponse, lane: Lane, path: string) {
    if (path === "/_sim/requests" && req.method === "GET") return json(res, 200, lane.requests);
    if (path === "/_sim/mode" && req.method === "PUT") {
      const { mode } = (JSON.parse((await readBody(req)) || "null") ?? {}) as { mode?: unknown };
      if (mode !== "ok" && mode !== "429" && mode !== "500" && mode !== "hang") {
        return json(res, 400, { error: 'mode must be "ok", "429", "500" or "hang"' });
      }
      lane.mode = mode;
      return json(res, 200, { mode });
    }
    return json(res, 404, { error: `no control ${req.method} ${path}` });
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const inLane = /^\/_sim\/lanes\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const laneKey = inLane ? decodeURIComponent(inLane[1] as string) : undefined;
    let lane = root;
    if (laneKey !== undefined) {
      lane = lanes.get(laneKey) ?? { mode: "ok", requests: [] };
      lanes.set(laneKey, lane);
    }
    const path = inLane ? (inLane[2] ?? "/") : url.pathname;
    const where = `overpass${laneKey === undefined ? "" : ` [${laneKey}]`} ${req.method} ${path}`;
    try {
      if (path.startsWith("/_sim/")) return await control(req, res, lane, path);
      if (path !== "/api/interpreter") return text(res, 404, "Not found\n");
      if (req.method !== "GET" && req.method !== "POST") {
        return text(res, 405, "Method not allowed\n", { Allow: "GET, POST" });
      }
      const query = queryOf(req, url, await readBody(req));
      lane.requests.push(query ?? "");
      if (lane.mode === "hang") {
        // Never answered: the socket stays open until the client gives up or close() destroys it.
        log(`${where} → (hang)`);
        return;
      }
      res.on("finish", () => log(`${where} → ${res.statusCode}`));
      if (lane.mode === "429") {
        const why =
          "Error: runtime error: open64: 0 Success /osm3s_osm_base Dispatcher_Client::request_read_and_idx::rate_limited. Please check /api/status for the quota of your IP address.\n";
        return text(res, 429, why, { "Retry-After": "2" });
      }
      if (lane.mode === "500") {
        const why =
          "Error: runtime error: open64: 0 Success /osm3s_osm_base Dispatcher_Client::request_read_and_idx::timeout. The server is probably too busy to handle your request.\n";
        return text(res, 500, why);
      }
      if (!query) return text(res, 400, "Error: line 1: parse error: no query: send it as data=<Overpass QL>\n");
      let elements: Record<string, unknown>[];
      try {
        elements = run(parse(query));
      } catch (error) {
        if (!(error instanceof QueryError)) throw error;
        return text(res, 400, `Error: line ${error.line}: ${error.stage} error: ${error.message}\n`);
      }
      return json(res, 200, {
        version: 0.6,
        generator: "Overpass API (simulator)",
        osm3s: {
          timestamp_osm_base: EXTRACT_TIMESTAMP,
          timestamp_areas_base: EXTRACT_TIMESTAMP,
          copyright:
            "The data included in this document is from www.openstreetmap.org. The data is made available under ODbL.",
        },
        elements,
      });
    } catch (error) {
      log(`${where} → error: ${String(error)}`);
      if (!res.headersSent) json(res, error instanceof SyntaxError ? 400 : 500, { error: String(error) });
    }
  });
  return serve(server, options.port);
}
