import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";

/**
 * Issue #13, item 7: every operation the OpenAPI document lists, sent a
 * bounded set of hostile variants as the owner of a fresh tenant — wrong
 * types, NUL and other control characters, a body just over the route's
 * limit, huge numbers, deep nesting, wrong content types, malformed JSON and
 * bad path ids. Whatever the API makes of them, it never answers 5xx, and
 * every refusal is a problem document.
 */

interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  minimum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
}

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string }>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

interface Variant {
  label: string;
  path: string;
  init: RequestInit;
}

/** Each operation gets at most this many variants, so the sweep stays well under a minute. */
const MAX_VARIANTS_PER_OPERATION = 60;
/** Body fields fuzzed one at a time, nested objects included, per operation. */
const MAX_FIELDS = 8;
/** The sweep is about what the API makes of bad input, not its rate limits: the tenant's budget is lifted. */
const UNLIMITED = { TENANT_RATE_PER_SECOND: "1000000" } as Partial<Env>;

const NUL = "a\u0000b";
const CONTROL = "\u0007\u0008\u001b[2J\u007f\u0085\u2028";
const LONE_SURROGATE = "x\ud800y";
const HUGE_NUMBERS = [1e308, -1e308, 2 ** 64, 5e-324];
const BAD_IDS = ["not-a-uuid", "%00", "99999999999999999999", "%E0%A4%A", "..%2F..%2Fadmin", "x".repeat(3000)];
const BAD_QUERY_VALUES = ["%00", "99999999999999999999", "-1", "1e400", "%E0%A4%A", "x".repeat(5000)];

const deeplyNested = (levels: number): unknown => {
  let value: unknown = "bottom";
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};

function resolve(schema: Schema, doc: OpenApiDocument): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.split("/").at(-1) ?? "";
  return resolve(doc.components?.schemas?.[name] ?? {}, doc);
}

function typeOf(schema: Schema): string | undefined {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (type) return type;
  if (schema.properties) return "object";
  return undefined;
}

const SAMPLE_STRINGS = ["fuzz", "fuzz_type", "+15555550123", "FUZZ", "fuzz-1", "a1"];

/** A plausible valid value for `schema`, so that one hostile field is judged with the others sound. */
function sample(raw: Schema, doc: OpenApiDocument): unknown {
  const schema = resolve(raw, doc);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const choice = schema.anyOf ?? schema.oneOf;
  if (choice) return sample(choice.find((s) => resolve(s, doc).type !== "null") ?? choice[0] ?? {}, doc);
  if (schema.allOf) return sample(schema.allOf[0] ?? {}, doc);
  switch (typeOf(schema)) {
    case "string": {
      if (schema.format === "uuid") return crypto.randomUUID();
      if (schema.format === "email") return `fuzz-${crypto.randomUUID().slice(0, 8)}@example.com`;
      if (schema.format === "date-time") return new Date().toISOString();
      if (schema.format === "uri" || schema.format === "url") return "https://example.com/fuzz";
      const pattern = schema.pattern ? new RegExp(schema.pattern) : undefined;
      const text = SAMPLE_STRINGS.find((s) => !pattern || pattern.test(s)) ?? "fuzz";
      return text.padEnd(schema.minLength ?? 0, "z");
    }
    case "integer":
    case "number":
      return schema.minimum ?? (schema.exclusiveMinimum === undefined ? 1 : schema.exclusiveMinimum + 1);
    case "boolean":
      return true;
    case "array":
      return Array.from({ length: schema.minItems ?? 0 }, () => sample(schema.items ?? {}, doc));
    case "object":
      return Object.fromEntries(
        (schema.required ?? []).map((name) => [name, sample(schema.properties?.[name] ?? {}, doc)]),
      );
    default:
      return "fuzz";
  }
}

/** A value of the wrong JSON type for `schema`. */
function wrongType(raw: Schema, doc: OpenApiDocument): unknown {
  switch (typeOf(resolve(raw, doc))) {
    case "string":
      return 12345;
    case "integer":
    case "number":
      return "12";
    case "boolean":
      return "yes";
    case "array":
      return { not: "an array" };
    case "object":
      return ["not", "an", "object"];
    default:
      return [[[]]];
  }
}

type FieldPath = { path: string[]; schema: Schema };

/** The body's fields, nested objects included, breadth first. */
function fieldsOf(root: Schema, doc: OpenApiDocument): FieldPath[] {
  const fields: FieldPath[] = [];
  const queue: FieldPath[] = [{ path: [], schema: root }];
  while (queue.length > 0 && fields.length < MAX_FIELDS) {
    const { path, schema } = queue.shift() as FieldPath;
    for (const [name, child] of Object.entries(resolve(schema, doc).properties ?? {})) {
      const field = { path: [...path, name], schema: child };
      fields.push(field);
      if (typeOf(resolve(child, doc)) === "object") queue.push(field);
    }
  }
  return fields.slice(0, MAX_FIELDS);
}

/** `body` with the value at `path` replaced (parents created as needed). */
function withField(body: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let at: Record<string, unknown> = typeof copy === "object" && copy !== null ? copy : {};
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== "object" || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[path.at(-1) as string] = value;
  return copy;
}

/** The route's body limit, read from its published 413 answer: "… limit of 256 KiB (262144 bytes)". */
function bodyLimitOf(operation: Operation): number | undefined {
  const match = /\((\d+) bytes\)/.exec(operation.responses["413"]?.description ?? "");
  return match ? Number(match[1]) : undefined;
}

/** Real ids where a path names this tenant's things, so a hostile body gets past the lookup. */
function validPathValue(path: string, name: string, schema: Schema | undefined, world: World, doc: OpenApiDocument) {
  if (path.includes("/projects/{id}") && name === "id") return world.tenant.projectId;
  if (path.includes("/entities/{id}") && name === "id") return world.leadId;
  return String(sample(schema ?? {}, doc));
}

interface World {
  tenant: TestTenant;
  leadId: string;
  doc: OpenApiDocument;
}

function variantsFor(template: string, method: string, operation: Operation, world: World): Variant[] {
  const { doc, tenant } = world;
  const parameters = operation.parameters ?? [];
  const pathParams = parameters.filter((p) => p.in === "path");
  const queryParams = parameters.filter((p) => p.in === "query");
  const fillPath = (overrides: Record<string, string> = {}) =>
    pathParams.reduce(
      (path, p) =>
        path.replace(`{${p.name}}`, overrides[p.name] ?? validPathValue(template, p.name, p.schema, world, doc)),
      template,
    );
  const baseQuery = () =>
    Object.fromEntries(
      queryParams
        .filter((p) => p.required || p.name === "project")
        .map((p) => [p.name, p.name === "project" ? tenant.projectId : String(sample(p.schema ?? {}, doc))]),
    );
  const withQuery = (path: string, query: Record<string, string>) => {
    const search = new URLSearchParams(query).toString();
    return search ? `${path}?${search}` : path;
  };
  const upper = method.toUpperCase();
  const headers = () => ({ ...tenant.auth, "cf-connecting-ip": randomIp() });
  const path = withQuery(fillPath(), baseQuery());
  const variants: Variant[] = [];

  for (const param of pathParams) {
    for (const bad of BAD_IDS) {
      variants.push({
        label: `path ${param.name}=${bad.slice(0, 20)}`,
        path: withQuery(fillPath({ [param.name]: bad }), baseQuery()),
        init: { method: upper, headers: headers() },
      });
    }
  }
  for (const param of queryParams.slice(0, MAX_FIELDS)) {
    for (const bad of BAD_QUERY_VALUES) {
      // Raw, not re-encoded: a malformed percent-escape must reach the server as sent.
      const rest = new URLSearchParams(baseQuery());
      rest.delete(param.name);
      const search = [rest.toString(), `${param.name}=${bad}`].filter(Boolean).join("&");
      variants.push({
        label: `query ${param.name}=${bad.slice(0, 20)}`,
        path: `${fillPath()}?${search}`,
        init: { method: upper, headers: headers() },
      });
    }
  }

  const jsonSchema = operation.requestBody?.content["application/json"]?.schema;
  const limit = bodyLimitOf(operation);
  if (jsonSchema) {
    // Sampled afresh for each variant: two variants must not collide with each other (one email, one name).
    const base = () => sample(jsonSchema, doc);
    const send = (label: string, body: unknown) =>
      variants.push({ label, path, init: jsonRequest(upper, body, headers()) });
    for (const field of fieldsOf(jsonSchema, doc)) {
      const name = field.path.join(".");
      send(`${name}: wrong type`, withField(base(), field.path, wrongType(field.schema, doc)));
      send(`${name}: NUL`, withField(base(), field.path, NUL));
      send(`${name}: control characters`, withField(base(), field.path, CONTROL));
      send(`${name}: lone surrogate`, withField(base(), field.path, LONE_SURROGATE));
      send(`${name}: 100 levels deep`, withField(base(), field.path, deeplyNested(100)));
      for (const huge of HUGE_NUMBERS.slice(0, 2)) send(`${name}: ${huge}`, withField(base(), field.path, huge));
    }
    send("the body 100 levels deep", deeplyNested(100));
    send("a JSON array for a body", [base()]);
    send("JSON null for a body", null);
    send("a bare number for a body", 1e20);
    const raw = (label: string, contentType: string | undefined, body: BodyInit) =>
      variants.push({
        label,
        path,
        init: {
          method: upper,
          headers: { ...headers(), ...(contentType ? { "content-type": contentType } : {}) },
          body,
        },
      });
    raw("malformed JSON", "application/json", '{"name": "unterminated');
    raw("an empty JSON body", "application/json", "");
    raw("JSON sent as text/plain", "text/plain", JSON.stringify(base()));
    raw("JSON sent as a form", "application/x-www-form-urlencoded", JSON.stringify(base()));
    raw("JSON sent with no content type", undefined, JSON.stringify(base()));
  }
  if (limit !== undefined) {
    const oversize = JSON.stringify({ padding: "x".repeat(limit) });
    variants.push({
      label: "one byte over the limit",
      path,
      init: jsonRequest(upper, { padding: "x".repeat(limit) }, headers()),
    });
    variants.push({
      label: "over the limit, chunked",
      path,
      init: { method: upper, headers: { ...headers(), "content-type": "application/json" }, body: streamOf(oversize) },
    });
  }
  return variants.slice(0, MAX_VARIANTS_PER_OPERATION);
}

function streamOf(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const chunk = 16 * 1024;
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

const randomIp = () => `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

/** Runs every task, at most `concurrency` at a time. */
async function inPool<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Not swept: the WebSocket upgrade (no HTTP answer to judge) and the bench routes (absent without BENCH_ROUTES). */
const skipped = (path: string) => path.startsWith("/api/_bench") || /\/realtime\/(connect|socket|ws)/.test(path);

/** Deletes last, so the lead and the project other variants aim at are there while they run. */
const byMethod = (method: string) => (method === "delete" ? 1 : 0);

describe("a generated fuzz sweep over /api/openapi.json", () => {
  it("refuses every hostile variant of every operation with a 4xx problem document, never a 5xx", async () => {
    const doc = await (await request("/api/openapi.json")).json<OpenApiDocument>();
    const tenant = await signUpTenant("fuzz");
    const lead = await request(
      "/api/v1/entities",
      jsonRequest("POST", { projectId: tenant.projectId, type: "lead", name: "Fuzz Target", data: {} }, tenant.auth),
    );
    expect(lead.status).toBe(201);
    const world: World = { tenant, doc, leadId: (await lead.json<{ id: string }>()).id };

    const operations = Object.entries(doc.paths)
      .filter(([path]) => !skipped(path))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })))
      .sort((a, b) => byMethod(a.method) - byMethod(b.method));
    const variants = operations.flatMap(({ path, method, operation }) =>
      variantsFor(path, method, operation, world).map((variant) => ({
        ...variant,
        route: `${method.toUpperCase()} ${path}`,
      })),
    );
    expect(operations.length).toBeGreaterThan(50);

    const answers = await inPool(
      variants.map((variant) => async () => {
        const response = await request(variant.path, variant.init, UNLIMITED);
        const contentType = response.headers.get("content-type") ?? "";
        const text = await response.text();
        return { route: variant.route, label: variant.label, status: response.status, contentType, text };
      }),
      6,
    );

    const serverErrors = answers
      .filter((a) => a.status >= 500)
      .map((a) => `${a.route} [${a.label}] ${a.status} ${a.text.slice(0, 200)}`);
    const notProblems = answers
      .filter((a) => a.status >= 400 && a.status < 500 && a.contentType !== "application/problem+json")
      .map((a) => `${a.route} [${a.label}] ${a.status} ${a.contentType}`);
    expect(serverErrors).toEqual([]);
    expect(notProblems).toEqual([]);
    // The limit is enforced, not only published: every body one byte over it was a 413.
    const oversize = answers.filter((a) => a.label.startsWith("one byte over") || a.label.startsWith("over the limit"));
    expect(oversize.length).toBeGreaterThan(20);
    expect(oversize.filter((a) => a.status !== 413).map((a) => `${a.route} [${a.label}] ${a.status}`)).toEqual([]);
    // JSON routes say 415 for another media type.
    const textPlain = answers.filter((a) => a.label === "JSON sent as text/plain");
    expect(
      textPlain
        .filter((a) => a.status !== 415 && a.status !== 401 && a.status !== 404)
        .map((a) => `${a.route} ${a.status}`),
    ).toEqual([]);
  }, 120_000);
});
