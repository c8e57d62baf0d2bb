import { z } from "zod";
import type { FieldError } from "../problems";
import { type LinearPattern, linearPattern } from "../text/linear-pattern";

/**
 * A tenant's JSON schema for an entity type, as zod — with every `pattern`
 * taken away from zod (which would run it on JavaScript's backtracking
 * engine) and matched by linear-pattern.ts instead.
 *
 * A pattern is enforced where it sits on a fixed path into the data: under
 * `properties`, `items` and `prefixItems`, from the root. Anywhere else
 * (`anyOf`, `$defs`, `additionalProperties`…) the value it applies to depends
 * on which branch matched, and `patternProperties` runs its patterns on keys:
 * those are refused rather than run unsafely.
 *
 * Time per request is bounded by the pattern's size (linear-pattern.ts) times
 * the text it runs on: a value under a pattern holds at most
 * MAX_PATTERN_CHECKED_LENGTH characters and one entity's data at most
 * MAX_PATTERN_CHECKED_TOTAL across all of them.
 */
const MAX_PATTERN_CHECKED_LENGTH = 10_000;
const MAX_PATTERN_CHECKED_TOTAL = 100_000;

type Step = { key: string } | { index: number } | { itemsFrom: number };

interface PatternSite {
  steps: Step[];
  pattern: LinearPattern;
}

/** Keywords whose schemas apply to values that depend on other branches: no fixed data path. */
const BRANCH_KEYWORDS = [
  "additionalProperties",
  "additionalItems",
  "unevaluatedItems",
  "unevaluatedProperties",
  "contains",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
  "contentSchema",
];
const BRANCH_LIST_KEYWORDS = ["anyOf", "oneOf", "allOf"];
const BRANCH_MAP_KEYWORDS = ["$defs", "definitions", "dependentSchemas", "dependencies"];

const isObject = (value: unknown): value is Record<string, unknown> =>
  Boolean(value) && typeof value === "object" && !Array.isArray(value);

/** Walks the schema: collects pattern sites, records refusals, returns a copy without `pattern`. */
function withoutPatterns(
  node: unknown,
  at: string[],
  steps: Step[] | undefined,
  sites: PatternSite[],
  errors: FieldError[],
): unknown {
  if (!isObject(node)) return node;
  const copy: Record<string, unknown> = { ...node };
  const field = (...rest: string[]) => [...at, ...rest].join(".");

  if ("pattern" in node) {
    delete copy.pattern;
    const source = node.pattern;
    if (typeof source !== "string") {
      errors.push({ field: field("pattern"), message: "must be a string" });
    } else if (!steps) {
      errors.push({ field: field("pattern"), message: "is enforced only under properties, items and prefixItems" });
    } else {
      const verdict = linearPattern(source);
      if (verdict.ok) sites.push({ steps, pattern: verdict.pattern });
      else errors.push({ field: field("pattern"), message: verdict.reason });
    }
  }
  if ("patternProperties" in node) {
    errors.push({
      field: field("patternProperties"),
      message: "is not supported (its patterns would run on every key); list the properties instead",
    });
  }

  if (isObject(node.properties)) {
    const properties: Record<string, unknown> = {};
    for (const [key, sub] of Object.entries(node.properties)) {
      properties[key] = withoutPatterns(sub, [...at, "properties", key], steps && [...steps, { key }], sites, errors);
    }
    copy.properties = properties;
  }
  const prefixItems = Array.isArray(node.prefixItems) ? node.prefixItems : undefined;
  if (prefixItems) {
    copy.prefixItems = prefixItems.map((sub, index) =>
      withoutPatterns(sub, [...at, "prefixItems", String(index)], steps && [...steps, { index }], sites, errors),
    );
  }
  if (Array.isArray(node.items)) {
    copy.items = node.items.map((sub, index) =>
      withoutPatterns(sub, [...at, "items", String(index)], steps && [...steps, { index }], sites, errors),
    );
  } else if (node.items !== undefined) {
    const itemsFrom = prefixItems?.length ?? 0;
    copy.items = withoutPatterns(node.items, [...at, "items"], steps && [...steps, { itemsFrom }], sites, errors);
  }

  for (const keyword of BRANCH_KEYWORDS) {
    if (keyword in node) copy[keyword] = withoutPatterns(node[keyword], [...at, keyword], undefined, sites, errors);
  }
  for (const keyword of BRANCH_LIST_KEYWORDS) {
    const list = node[keyword];
    if (Array.isArray(list)) {
      copy[keyword] = list.map((sub, index) =>
        withoutPatterns(sub, [...at, keyword, String(index)], undefined, sites, errors),
      );
    }
  }
  for (const keyword of BRANCH_MAP_KEYWORDS) {
    const map = node[keyword];
    if (!isObject(map)) continue;
    copy[keyword] = Object.fromEntries(
      Object.entries(map).map(([key, sub]) => [
        key,
        withoutPatterns(sub, [...at, keyword, key], undefined, sites, errors),
      ]),
    );
  }
  return copy;
}

/** Every value of `data` a site's path reaches, with its path for the error. */
function valuesAt(data: unknown, steps: Step[]): { path: (string | number)[]; value: unknown }[] {
  let reached: { path: (string | number)[]; value: unknown }[] = [{ path: [], value: data }];
  for (const step of steps) {
    const next: typeof reached = [];
    for (const { path, value } of reached) {
      if ("key" in step) {
        if (isObject(value) && Object.hasOwn(value, step.key)) {
          next.push({ path: [...path, step.key], value: value[step.key] });
        }
      } else if (Array.isArray(value)) {
        if ("index" in step) {
          if (step.index < value.length) next.push({ path: [...path, step.index], value: value[step.index] });
        } else {
          for (let i = step.itemsFrom; i < value.length; i++) next.push({ path: [...path, i], value: value[i] });
        }
      }
    }
    reached = next;
  }
  return reached;
}

function checkPatterns(data: unknown, sites: PatternSite[], ctx: z.RefinementCtx): void {
  let checked = 0;
  for (const site of sites) {
    for (const { path, value } of valuesAt(data, site.steps)) {
      if (typeof value !== "string") continue;
      if (value.length > MAX_PATTERN_CHECKED_LENGTH) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `at most ${MAX_PATTERN_CHECKED_LENGTH} characters where a pattern applies`,
        });
        continue;
      }
      checked += value.length;
      if (checked > MAX_PATTERN_CHECKED_TOTAL) {
        ctx.addIssue({
          code: "custom",
          path: [],
          message: `at most ${MAX_PATTERN_CHECKED_TOTAL} characters in all under patterns, per entity`,
        });
        return;
      }
      if (!site.pattern.test(value)) {
        ctx.addIssue({ code: "custom", path, message: `must match the pattern ${site.pattern.source}` });
      }
    }
  }
}

type TenantSchema = { ok: true; schema: z.ZodType } | { ok: false; errors: FieldError[] };

/** The tenant's schema as zod with its patterns matched in linear time, or the fields Apex refuses. */
export function compileTenantSchema(jsonSchema: unknown, field = "jsonSchema"): TenantSchema {
  const sites: PatternSite[] = [];
  const errors: FieldError[] = [];
  const stripped = withoutPatterns(jsonSchema, [field], [], sites, errors);
  if (errors.length > 0) return { ok: false, errors };
  let base: z.ZodType;
  try {
    base = z.fromJSONSchema(stripped as Parameters<typeof z.fromJSONSchema>[0]);
  } catch {
    return { ok: false, errors: [{ field, message: "is not a JSON schema Apex can enforce" }] };
  }
  if (sites.length === 0) return { ok: true, schema: base };
  return { ok: true, schema: base.superRefine((data, ctx) => checkPatterns(data, sites, ctx)) };
}
