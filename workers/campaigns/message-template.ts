/**
 * Campaign message templates: text with `{{variable}}` slots and a declared
 * default for a recipient who lacks the value (`{{firstName|there}}`).
 *
 * Deliberately not a template language: no expressions, helpers, loops or
 * HTML. Values go in as plain text, once — a value that itself reads
 * `{{offer}}` is not expanded — so nothing an imported CSV holds can run or
 * reshape the message. Unknown variables are caught when the template is
 * saved, not when the 900th text goes out.
 */

export const TEMPLATE_VARIABLES = ["firstName", "name", "businessName", "jobType", "lastJobMonth", "offer"] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Partial<Record<TemplateVariable, string | null | undefined>>;

export interface TemplateIssue {
  message: string;
  /** The variables named as written, for an unknown-variable issue. */
  variables?: string[];
}

export const DEFAULT_OPT_OUT_FOOTER = "Reply STOP to opt out";

type Part = string | { variable: TemplateVariable; fallback?: string };

const KNOWN = new Set<string>(TEMPLATE_VARIABLES);
const looseKey = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, "");
const LOOSE = new Map(TEMPLATE_VARIABLES.map((variable) => [looseKey(variable), variable]));

function parse(source: string): { parts: Part[]; issues: TemplateIssue[] } {
  const parts: Part[] = [];
  const issues: TemplateIssue[] = [];
  const unknown: string[] = [];
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf("{{", at);
    const strayClose = source.indexOf("}}", at);
    if (strayClose >= 0 && (open < 0 || strayClose < open)) {
      issues.push({ message: `has "}}" at character ${strayClose + 1} without an opening "{{"` });
      break;
    }
    if (open < 0) {
      parts.push(source.slice(at));
      break;
    }
    if (open > at) parts.push(source.slice(at, open));
    const close = source.indexOf("}}", open + 2);
    if (close < 0) {
      issues.push({ message: `has "{{" at character ${open + 1} that is never closed with "}}"` });
      break;
    }
    const inner = source.slice(open + 2, close);
    const bar = inner.indexOf("|");
    const name = (bar < 0 ? inner : inner.slice(0, bar)).trim();
    if (/[{}]/.test(inner)) {
      issues.push({ message: `has a brace inside "{{${inner}}}"; write a variable as {{firstName}}` });
    } else if (!name) {
      issues.push({ message: `has "{{${inner}}}", which names no variable` });
    } else if (!KNOWN.has(name)) {
      unknown.push(name);
    } else {
      parts.push(
        bar < 0
          ? { variable: name as TemplateVariable }
          : { variable: name as TemplateVariable, fallback: inner.slice(bar + 1).trim() },
      );
    }
    at = close + 2;
  }
  if (unknown.length > 0) {
    const names = [...new Set(unknown)];
    const described = names.map((name) => {
      const meant = LOOSE.get(looseKey(name));
      return meant ? `{{${name}}} (did you mean {{${meant}}}?)` : `{{${name}}}`;
    });
    issues.push({
      message: `uses unknown ${names.length === 1 ? "variable" : "variables"} ${described.join(", ")}; the variables are ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(", ")}`,
      variables: names,
    });
  }
  if (source.trim() === "") issues.push({ message: "is empty" });
  return { parts, issues };
}

/** What is wrong with a template, for the save-time check; empty when it can be used. */
export function validateTemplate(source: string): TemplateIssue[] {
  return parse(source).issues;
}

/** The known variables a valid template uses, each once, in order. */
export function templateVariables(source: string): TemplateVariable[] {
  const used = parse(source).parts.flatMap((part) => (typeof part === "string" ? [] : [part.variable]));
  return [...new Set(used)];
}

export class TemplateInvalidError extends Error {
  constructor(readonly issues: TemplateIssue[]) {
    super(`invalid message template: ${issues.map((issue) => issue.message).join("; ")}`);
    this.name = "TemplateInvalidError";
  }
}

export interface RenderOptions {
  /** Append an opt-out line unless the text already has one: true for the default wording, or the wording. */
  optOutFooter?: boolean | string;
}

export type RenderResult =
  /** The message to send. */
  | { ok: true; text: string }
  /** The recipient lacks values the template needs and declares no default for: do not send a half-filled text. */
  | { ok: false; missing: TemplateVariable[] };

/**
 * The message for one recipient, trimmed. A missing, empty or blank value
 * takes the slot's declared default (`{{firstName|there}}`); a slot with
 * neither makes the result `missing`. Throws TemplateInvalidError for a
 * template that validateTemplate refuses, which a saved template never is.
 */
export function renderTemplate(source: string, values: TemplateValues, options: RenderOptions = {}): RenderResult {
  const { parts, issues } = parse(source);
  if (issues.length > 0) throw new TemplateInvalidError(issues);
  const missing = new Set<TemplateVariable>();
  let text = "";
  for (const part of parts) {
    if (typeof part === "string") {
      text += part;
      continue;
    }
    const raw = values[part.variable];
    // One line of plain text per value: a newline in an imported name must not reshape the message.
    const value = typeof raw === "string" ? raw.replace(/\s+/g, " ").trim() : "";
    if (value) text += value;
    else if (part.fallback !== undefined) text += part.fallback;
    else missing.add(part.variable);
  }
  if (missing.size > 0) return { ok: false, missing: [...missing] };
  text = text.trim();
  if (options.optOutFooter) {
    const footer = typeof options.optOutFooter === "string" ? options.optOutFooter.trim() : DEFAULT_OPT_OUT_FOOTER;
    if (!hasOptOutNotice(text, footer)) text = text ? `${text}\n${footer}` : footer;
  }
  return { ok: true, text };
}

/**
 * True when the text already tells the reader how to opt out ("Reply STOP to
 * opt out", "Text STOP to unsubscribe", "STOP to end"), or holds `footer`.
 */
export function hasOptOutNotice(text: string, footer = DEFAULT_OPT_OUT_FOOTER): boolean {
  if (footer && text.toLowerCase().includes(footer.toLowerCase())) return true;
  return (
    /\b(?:reply|text|txt|send|respond)(?: with)?\s+["'“‘]?stop\b/i.test(text) ||
    /\bstop["'”’]?\s+to\s+(?:opt[\s-]?out|unsubscribe|end|quit|cancel|stop)\b/i.test(text)
  );
}

const TITLES = new Set(["mr", "mrs", "ms", "miss", "mx", "dr"]);
const SUFFIXES = new Set(["jr", "sr", "ii", "iii", "iv", "md", "phd", "esq"]);

/**
 * A first name for {{firstName}} from a whole name as imported: "Mr. John
 * Smith" → John, "SMITH, JOHN" → John, "mary" → Mary. Undefined when there is
 * none, so the template's default applies.
 */
export function firstNameOf(name: string | null | undefined): string | undefined {
  const whole = name?.replace(/\s+/g, " ").trim();
  if (!whole) return undefined;
  const comma = whole.indexOf(",");
  let given = whole;
  if (comma >= 0) {
    // "Smith, John" is last-name-first; "John Smith, Jr." is not.
    const after = whole.slice(comma + 1).trim();
    const isSuffix = SUFFIXES.has(after.toLowerCase().replace(/\./g, ""));
    given = after && !isSuffix ? after : whole.slice(0, comma);
  }
  const words = given.split(" ").filter((word) => !TITLES.has(word.toLowerCase().replace(/\.$/, "")));
  const first = words[0];
  if (!first) return undefined;
  // A name typed all in capitals or all in lower case reads better in title case; "McKay" is left alone.
  const uniform = first === first.toUpperCase() || first === first.toLowerCase();
  return uniform ? first.charAt(0).toUpperCase() + first.slice(1).toLowerCase() : first;
}

const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** {{lastJobMonth}} from an ISO date: "2023-05-14" → "May 2023"; undefined for anything else. */
export function lastJobMonthOf(isoDate: string | null | undefined): string | undefined {
  const match = /^(\d{4})-(\d{2})-\d{2}/.exec(isoDate ?? "");
  const month = match ? MONTH_NAMES[Number(match[2]) - 1] : undefined;
  return match && month ? `${month} ${match[1]}` : undefined;
}
