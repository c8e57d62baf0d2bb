import { RE2JS } from "re2js";

/**
 * Tenant-written regular expressions (a JSON schema's `pattern`), matched in
 * time linear in the input. JavaScript's own engine backtracks: `^(a+)+$`
 * takes seconds on 27 characters, `\d*\d*\d*\d*x` takes twenty on 200, and
 * Workers have no way to stop a running RegExp, so one tenant's pattern would
 * stall every request sharing the isolate. RE2 (here its JavaScript port)
 * never backtracks; what it cannot match in linear time — backreferences,
 * lookaround — it refuses to compile, and so do we.
 *
 * Linear still has a constant: the compiled program's size. Patterns are
 * capped in length, counted repeats in size (`{0,999}` compiles to a thousand
 * states) and the compiled program in instructions, which together keep one
 * match of a capped value in the low milliseconds.
 */
const MAX_PATTERN_LENGTH = 256;
const MAX_REPEAT = 100;
const MAX_PROGRAM_SIZE = 1_000;

export interface LinearPattern {
  readonly source: string;
  /** True when the pattern matches anywhere in `text` (JSON Schema patterns are not anchored). */
  test(text: string): boolean;
}

type PatternVerdict = { ok: true; pattern: LinearPattern } | { ok: false; reason: string };

/** Compiled once per isolate: types are read on every entity write. Bounded, oldest out first. */
const compiled = new Map<string, PatternVerdict>();
const CACHE_SIZE = 500;

function largestRepeat(source: string): number {
  let largest = 0;
  for (const match of source.matchAll(/\{(\d+)(?:,(\d*))?\}/g)) {
    largest = Math.max(largest, Number(match[1]), Number(match[2] || 0));
  }
  return largest;
}

function judge(source: string): PatternVerdict {
  if (source.length > MAX_PATTERN_LENGTH) return { ok: false, reason: `at most ${MAX_PATTERN_LENGTH} characters` };
  // Checked before compiling: compiling a huge repeat is itself the slow part.
  if (largestRepeat(source) > MAX_REPEAT) return { ok: false, reason: `repeat counts above ${MAX_REPEAT} are refused` };
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(source));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      reason: `is not a pattern Apex can match in linear time (backreferences and lookaround are refused): ${detail}`,
    };
  }
  if (re.matcher("").programSize() > MAX_PROGRAM_SIZE) {
    return { ok: false, reason: "is too complex: its compiled form is over the size Apex runs" };
  }
  return { ok: true, pattern: { source, test: (text) => re.test(text) } };
}

/** The pattern, ready to match in linear time, or why Apex will not run it. */
export function linearPattern(source: string): PatternVerdict {
  const known = compiled.get(source);
  if (known) return known;
  const verdict = judge(source);
  if (compiled.size >= CACHE_SIZE) {
    const oldest = compiled.keys().next().value;
    if (oldest !== undefined) compiled.delete(oldest);
  }
  compiled.set(source, verdict);
  return verdict;
}
