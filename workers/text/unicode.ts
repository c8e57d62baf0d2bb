import type { FieldError } from "../problems";

/**
 * Text Postgres cannot store. `text` and `jsonb` refuse U+0000, and a lone
 * UTF-16 surrogate (half of a pair, e.g. from the JSON escape `\ud800`) has no
 * UTF-8 encoding, so `jsonb` refuses its escape too. Left unchecked either one
 * turns a client's odd input into a 500 after part of the work is done.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding U+0000 is the point.
const BAD_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const BAD_TEXT_GLOBAL = new RegExp(BAD_TEXT.source, "g");

/** Enough to name what is wrong; a body full of bad text is not worth listing in full. */
const MAX_REPORTED = 20;
/** Deeper than any record needs; a body nested 20,000 levels would overflow this walk (and later ones). */
const MAX_DEPTH = 64;

function problemIn(text: string): string | undefined {
  const found = BAD_TEXT.exec(text)?.[0];
  if (found === undefined) return undefined;
  return found === "\u0000" ? "contains a NUL byte (U+0000)" : "contains a lone UTF-16 surrogate (not valid Unicode)";
}

/**
 * Every string (and object key) in `value` that Postgres would refuse, each
 * named by its dotted path under `path` (`data.notes.0`), as the 422 problem
 * lists fields; and a value nested deeper than MAX_DEPTH, named where it goes
 * too deep. Walks JSON-shaped values: objects, arrays and scalars.
 */
export function findBadText(value: unknown, path: readonly string[] = []): FieldError[] {
  const errors: FieldError[] = [];
  const field = (at: readonly string[]) => (at.length > 0 ? at.join(".") : "(body)");
  const visit = (node: unknown, at: readonly string[]) => {
    if (errors.length >= MAX_REPORTED) return;
    if (typeof node === "string") {
      const message = problemIn(node);
      if (message) errors.push({ field: field(at), message });
      return;
    }
    if (!node || typeof node !== "object") return;
    if (at.length - path.length >= MAX_DEPTH) {
      errors.push({ field: field(at), message: `is nested deeper than ${MAX_DEPTH} levels` });
      return;
    }
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) visit(item, [...at, String(index)]);
      return;
    }
    for (const [key, inner] of Object.entries(node)) {
      const keyMessage = problemIn(key);
      if (keyMessage) errors.push({ field: field([...at, cleanText(key)]), message: `its key ${keyMessage}` });
      visit(inner, [...at, key]);
    }
  };
  visit(value, path);
  return errors;
}

/**
 * The string with NUL bytes removed and lone surrogates replaced by U+FFFD,
 * for text we must accept whatever it holds (a customer's SMS relayed by
 * Twilio): storing a cleaned copy beats refusing the message.
 */
export function cleanText(text: string): string {
  return text.replace(BAD_TEXT_GLOBAL, (found) => (found === "\u0000" ? "" : "\ufffd"));
}
