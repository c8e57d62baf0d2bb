import { z } from "zod";
import { toE164 } from "../phone";
import { cleanText } from "../text/unicode";

/**
 * Past customers in, from a CSV file: parse, map columns, and check every row
 * before anything is written, so an owner sees each bad row by its line and
 * field and confirms the import knowing exactly what will land.
 *
 * Pure: no database. Dedupe against existing leads and the opt-out ledger is
 * the caller's step; this only finds duplicates inside the one file.
 */

export const IMPORT_FIELDS = ["name", "phone", "email", "lastJobDate", "jobType", "notes"] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

/**
 * Which header of the file feeds each field. `name` may take several columns
 * (First Name + Last Name), joined with a space; every other field takes one.
 */
export interface ColumnMapping {
  name?: string | readonly string[];
  phone?: string;
  email?: string;
  lastJobDate?: string;
  jobType?: string;
  notes?: string;
}

/** A row that passed every check, normalized: E.164 phone, lower-case email, ISO date. */
export interface ImportRow {
  line: number;
  name?: string;
  phone?: string;
  email?: string;
  lastJobDate?: string;
  jobType?: string;
  notes?: string;
}

export interface ImportError {
  /** Physical line of the file where the row starts; the header is line 1. */
  line: number;
  /** An ImportField, or `(row)` for the row as a whole. */
  field: string;
  message: string;
  /** For a duplicate: the earlier line it repeats. */
  duplicateOf?: number;
}

/** Why the file as a whole cannot be imported; `line` when one place is to blame. */
export interface FileError {
  field: string;
  message: string;
  line?: number;
}

export interface ImportReport {
  /** Set when the file cannot be imported at all; then `rows` and `errors` are empty. */
  fileError?: FileError;
  /** Rows that passed, in file order. */
  rows: ImportRow[];
  /** Every problem with the other rows; a row with any error is left out of `rows`. */
  errors: ImportError[];
  /** Non-blank data rows read (valid or not). */
  dataRows: number;
}

export interface ImportOptions {
  mapping: ColumnMapping;
  /** Region for numbers written without a country code. */
  defaultCountry?: string;
  /** How the file writes numeric dates like 05/04/2023. */
  dateOrder?: "MDY" | "DMY";
  maxRows?: number;
  maxBytes?: number;
  delimiter?: "," | ";" | "\t";
  /** "Today" for the future-date check; a parameter so tests do not depend on the clock. */
  today?: Date;
}

export const DEFAULT_MAX_ROWS = 10_000;
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;

const MAX_LENGTH: Record<"name" | "jobType" | "notes", number> = { name: 200, jobType: 100, notes: 2_000 };

// Spreadsheets write "nothing here" in a few ways; none of them is a value.
const BLANK = new Set(["", "-", "—", "n/a", "na", "none", "null"]);

// ---------------------------------------------------------------------------
// Parsing (RFC 4180, lenient where spreadsheets are)

export interface CsvRecord {
  /** Physical line the record starts on, counting every CRLF, LF or lone CR, quoted or not. */
  line: number;
  cells: string[];
}

export interface CsvParse {
  records: CsvRecord[];
  /** Rows with text after a closing quote (`"abc"def`); kept, with the text appended. */
  problems: { line: number; message: string }[];
  /** Line where a quoted field opened and never closed: the rest of the file is that one field. */
  unclosedQuoteLine?: number;
}

/**
 * Records of a CSV text. A leading BOM is dropped; CRLF, LF and a lone CR (old
 * Mac Excel) all end a line; inside quotes they are kept as `\n`. A quote in
 * the middle of an unquoted field is literal (`a 3/4" pipe`), as spreadsheets
 * write it. Completely empty lines are skipped.
 */
export function parseCsv(text: string, delimiter = ","): CsvParse {
  const records: CsvRecord[] = [];
  const problems: CsvParse["problems"] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let recordLine = 1;
  let cells: string[] = [];
  let cell = "";
  let started = false; // the current record has at least one character
  let quoted = false; // inside a quoted field
  let afterQuote = false; // a quoted field just closed
  let quoteLine = 0;

  const endCell = () => {
    cells.push(cell);
    cell = "";
    afterQuote = false;
  };
  const endRecord = () => {
    endCell();
    if (started) records.push({ line: recordLine, cells });
    cells = [];
    started = false;
  };
  /** Length of the line break at `at` (0 when none). */
  const breakAt = (at: number) => {
    const c = text[at];
    if (c === "\n") return 1;
    if (c === "\r") return text[at + 1] === "\n" ? 2 : 1;
    return 0;
  };

  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else {
          quoted = false;
          afterQuote = true;
          i += 1;
        }
        continue;
      }
      const size = breakAt(i);
      if (size > 0) {
        cell += "\n";
        line += 1;
        i += size;
        continue;
      }
      cell += c;
      i += 1;
      continue;
    }
    const size = breakAt(i);
    if (size > 0) {
      endRecord();
      line += 1;
      i += size;
      continue;
    }
    if (!started) {
      started = true;
      recordLine = line;
    }
    if (c === delimiter) {
      endCell();
    } else if (c === '"' && cell === "" && !afterQuote) {
      quoted = true;
      quoteLine = line;
    } else if (afterQuote && (c === " " || c === "\t")) {
      // Padding after a closing quote ("Ann" , …) is not part of the value.
    } else {
      if (afterQuote) {
        problems.push({ line: recordLine, message: "has text after a closing quote" });
        afterQuote = false;
      }
      cell += c;
    }
    i += 1;
  }
  if (quoted) return { records, problems, unclosedQuoteLine: quoteLine };
  endRecord();
  return { records, problems };
}

/** The header row's names, trimmed, for guessMapping and the mapping form. */
export function readHeaders(text: string, delimiter = ","): string[] {
  return (parseCsv(text, delimiter).records[0]?.cells ?? []).map((cell) => cell.trim());
}

// ---------------------------------------------------------------------------
// Column mapping

/** `E-mail Address` → `emailaddress`: case, spaces and punctuation do not matter in a header. */
function headerKey(header: string): string {
  return header
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "");
}

// In order of preference: a mobile number beats a landline for texting.
const SYNONYMS: Record<Exclude<ImportField, "name">, string[]> = {
  phone: [
    "mobile",
    "mobilephone",
    "mobilenumber",
    "cell",
    "cellphone",
    "cellnumber",
    "sms",
    "phone",
    "phonenumber",
    "phoneno",
    "telephone",
    "tel",
    "contactnumber",
  ],
  email: ["email", "emailaddress", "mail", "emailid"],
  lastJobDate: [
    "lastjob",
    "lastjobdate",
    "lastservice",
    "lastservicedate",
    "lastvisit",
    "lastvisitdate",
    "lastappointment",
    "lastserviced",
    "lastinvoicedate",
    "jobdate",
    "servicedate",
    "completed",
    "completedon",
    "completeddate",
    "completiondate",
    "date",
  ],
  jobType: [
    "jobtype",
    "service",
    "servicetype",
    "typeofservice",
    "typeofjob",
    "job",
    "worktype",
    "servicecategory",
    "category",
  ],
  notes: ["notes", "note", "comments", "comment", "description", "memo", "remarks"],
};
const WHOLE_NAME = ["name", "fullname", "customername", "customer", "clientname", "client", "contactname", "contact"];
const FIRST_NAME = ["firstname", "first", "givenname", "fname"];
const LAST_NAME = ["lastname", "surname", "familyname", "lname"];
// "Customer Phone", "Primary Email": the owner's word for whose it is adds nothing.
const PREFIX = /^(?:customer|client|contact|primary|main)(?=.)/;

/**
 * A first guess at the mapping from the file's headers, for the owner to
 * correct: common spellings ("Phone Number", "Mobile", "E-mail", "Last job",
 * "Service"), each header used at most once, First + Last Name joined when
 * there is no whole-name column.
 */
export function guessMapping(headers: readonly string[]): ColumnMapping {
  const used = new Set<number>();
  const keys = headers.map((header) => [headerKey(header), headerKey(header).replace(PREFIX, "")]);
  const find = (synonyms: readonly string[]): string | undefined => {
    for (const synonym of synonyms) {
      for (const pass of [0, 1]) {
        const index = keys.findIndex((key, at) => !used.has(at) && key[pass] === synonym);
        if (index >= 0) {
          used.add(index);
          return headers[index];
        }
      }
    }
    return undefined;
  };
  const mapping: ColumnMapping = {};
  // Name last among the whole-word lists, so "Contact Number" is a phone and not a name.
  for (const field of ["phone", "email", "lastJobDate", "jobType", "notes"] as const) {
    const header = find(SYNONYMS[field]);
    if (header !== undefined) mapping[field] = header;
  }
  const whole = find(WHOLE_NAME);
  if (whole !== undefined) {
    mapping.name = whole;
  } else {
    const parts = [find(FIRST_NAME), find(LAST_NAME)].filter((part) => part !== undefined);
    if (parts.length === 1) mapping.name = parts[0];
    if (parts.length === 2) mapping.name = parts;
  }
  return mapping;
}

// ---------------------------------------------------------------------------
// Values

const EMAIL = z.email();

// English month names and their three-letter forms (and "Sept"), as exports write them.
const MONTHS = new Map<string, number>(
  [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
  ]
    .flatMap((month, index): [string, number][] => [
      [month, index + 1],
      [month.slice(0, 3), index + 1],
    ])
    .concat([["sept", 9]]),
);

function isoDate(year: number, month: number, day: number): string | undefined {
  if (month < 1 || month > 12 || day < 1) return undefined;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > days) return undefined;
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

const TIME = String.raw`(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:[ap]\.?m\.?|Z|[+-]\d{2}:?\d{2})?)?`;
const YEAR_FIRST = new RegExp(String.raw`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})${TIME}$`, "i");
const NUMERIC = new RegExp(String.raw`^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})${TIME}$`, "i");
const MONTH_NAME_FIRST = /^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/i;
const DAY_BEFORE_MONTH_NAME = /^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$/i;

/** ISO date or an error message. Accepts ISO, numeric in the given order, and English month names. */
function parseDate(raw: string, order: "MDY" | "DMY", today: Date): { iso: string } | { error: string } {
  const expected = order === "MDY" ? "month/day/year" : "day/month/year";
  const fullYear = (year: string) => {
    if (year.length === 4) return Number(year);
    // Two digits: this century unless that is in the future.
    const recent = 2000 + Number(year);
    return recent <= today.getUTCFullYear() ? recent : recent - 100;
  };
  const yearFirst = YEAR_FIRST.exec(raw);
  const numeric = NUMERIC.exec(raw);
  const monthNameFirst = MONTH_NAME_FIRST.exec(raw);
  const dayFirst = DAY_BEFORE_MONTH_NAME.exec(raw);
  let iso: string | undefined;
  if (yearFirst) {
    iso = isoDate(Number(yearFirst[1]), Number(yearFirst[2]), Number(yearFirst[3]));
  } else if (numeric) {
    const [first, second] = [Number(numeric[1]), Number(numeric[2])];
    const [month, day] = order === "MDY" ? [first, second] : [second, first];
    iso = isoDate(fullYear(numeric[3] as string), month, day);
    if (!iso) return { error: `"${raw}" is not a ${expected} date` };
  } else if (monthNameFirst) {
    const month = MONTHS.get((monthNameFirst[1] as string).toLowerCase());
    iso = month ? isoDate(Number(monthNameFirst[3]), month, Number(monthNameFirst[2])) : undefined;
  } else if (dayFirst) {
    const month = MONTHS.get((dayFirst[2] as string).toLowerCase());
    iso = month ? isoDate(Number(dayFirst[3]), month, Number(dayFirst[1])) : undefined;
  }
  if (!iso) return { error: `"${raw}" is not a date (write it as YYYY-MM-DD or ${expected})` };
  if (iso < "1900-01-01") return { error: `"${raw}" is before 1900` };
  if (iso > today.toISOString().slice(0, 10)) return { error: `"${raw}" is in the future` };
  return { iso };
}

/** UTF-8 size of the text, stopping once past `limit`: a huge upload is refused without encoding all of it. */
function utf8BytesOver(text: string, limit: number): boolean {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
    if (bytes > limit) return true;
  }
  return false;
}

function collapse(value: string): string {
  return value.replace(/\s+/g, " ").trim();
}

// ---------------------------------------------------------------------------
// The report

/**
 * Every row of the file checked and normalized, nothing written. The file is
 * refused as a whole (`fileError`) when it is too big, has too many rows, is
 * not UTF-8 text, has a quote that never closes, or the mapping names a column
 * the header lacks; otherwise each bad row is reported by line and field.
 */
export function validateImport(text: string, options: ImportOptions): ImportReport {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const refuse = (fileError: FileError): ImportReport => ({ fileError, rows: [], errors: [], dataRows: 0 });

  if (utf8BytesOver(text, maxBytes)) {
    return refuse({ field: "(file)", message: `is larger than ${maxBytes.toLocaleString("en-US")} bytes (the limit)` });
  }
  if (text.includes("\u0000")) {
    // A UTF-16 file read as UTF-8 has a NUL after every ASCII letter.
    return refuse({ field: "(file)", message: "is not UTF-8 text (it looks like UTF-16); save it as CSV UTF-8" });
  }
  const parsed = parseCsv(text, options.delimiter ?? ",");
  if (parsed.unclosedQuoteLine !== undefined) {
    return refuse({
      field: "(file)",
      line: parsed.unclosedQuoteLine,
      message: `a quoted field opened on line ${parsed.unclosedQuoteLine} is never closed`,
    });
  }
  const [header, ...records] = parsed.records;
  if (!header) return refuse({ field: "(file)", message: "is empty" });
  const headers = header.cells.map((cell) => cell.trim());

  const columnOf = (field: ImportField, name: string): number | FileError => {
    const matches = headers.flatMap((header, index) => (header === name.trim() ? [index] : []));
    if (matches.length === 1) return matches[0] as number;
    const message =
      matches.length === 0 ? `column "${name}" is not in the file's header` : `column "${name}" appears more than once`;
    return { field, line: header.line, message };
  };
  const columns: Partial<Record<ImportField, number[]>> = {};
  for (const field of IMPORT_FIELDS) {
    const mapped = options.mapping[field];
    if (mapped === undefined) continue;
    const names: readonly string[] = typeof mapped === "string" ? [mapped] : mapped;
    const indexes: number[] = [];
    for (const name of names) {
      const column = columnOf(field, name);
      if (typeof column !== "number") return refuse(column);
      indexes.push(column);
    }
    columns[field] = indexes;
  }
  if (!columns.phone && !columns.email) {
    return refuse({ field: "mapping", message: "maps neither a phone nor an email column" });
  }

  const isBlank = (record: CsvRecord) => record.cells.every((cell) => cell.trim() === "");
  const dataRecords = records.filter((record) => !isBlank(record));
  if (dataRecords.length > maxRows) {
    const over = dataRecords[maxRows] as CsvRecord;
    return refuse({
      field: "(file)",
      line: over.line,
      message: `has more than ${maxRows.toLocaleString("en-US")} rows (the limit); split it into smaller files`,
    });
  }

  const syntax = new Map(parsed.problems.map((problem) => [problem.line, problem.message]));
  const country = options.defaultCountry ?? "US";
  const order = options.dateOrder ?? "MDY";
  const today = options.today ?? new Date();
  const firstPhone = new Map<string, number>();
  const firstEmail = new Map<string, number>();
  const rows: ImportRow[] = [];
  const errors: ImportError[] = [];

  for (const record of dataRecords) {
    const { line } = record;
    const rowErrors: ImportError[] = [];
    const fail = (field: string, message: string, duplicateOf?: number) =>
      rowErrors.push(duplicateOf === undefined ? { line, field, message } : { line, field, message, duplicateOf });
    const value = (field: ImportField): string => {
      const parts = (columns[field] ?? []).map((index) => cleanText(record.cells[index] ?? "").trim());
      return parts.filter((part) => !BLANK.has(part.toLowerCase())).join(" ");
    };

    const problem = syntax.get(line);
    if (problem) fail("(row)", problem);
    const extra = record.cells.slice(headers.length).filter((cell) => cell.trim() !== "");
    if (extra.length > 0) {
      // Usually an unquoted comma inside a value ("Smith, John"), which shifts every later column.
      fail("(row)", `has ${headers.length + extra.length} values but the header has ${headers.length} columns`);
    }

    const row: ImportRow = { line };
    const name = collapse(value("name"));
    if (name) row.name = name;
    const jobType = collapse(value("jobType"));
    if (jobType) row.jobType = jobType;
    const notes = value("notes").replace(/\r\n?/g, "\n");
    if (notes) row.notes = notes;
    for (const field of ["name", "jobType", "notes"] as const) {
      const text = row[field];
      if (text && text.length > MAX_LENGTH[field]) fail(field, `is longer than ${MAX_LENGTH[field]} characters`);
    }

    const rawPhone = value("phone");
    if (rawPhone) {
      const phone = toE164(rawPhone, country);
      if (phone) row.phone = phone;
      else
        fail("phone", `"${rawPhone}" is not a phone number (for ${country.toUpperCase()}, or with its +country code)`);
    }
    const rawEmail = value("email");
    if (rawEmail) {
      const email = rawEmail.toLowerCase();
      if (EMAIL.safeParse(email).success) row.email = email;
      else fail("email", `"${rawEmail}" is not an email address`);
    }
    if (!rawPhone && !rawEmail) fail("(row)", "has neither a phone nor an email");

    const rawDate = value("lastJobDate");
    if (rawDate) {
      const date = parseDate(rawDate, order, today);
      if ("iso" in date) row.lastJobDate = date.iso;
      else fail("lastJobDate", date.error);
    }

    // Duplicates count against every earlier row, valid or not: two entries
    // for one person are for the owner to settle, whichever is fixed first.
    const phoneTwin = row.phone === undefined ? undefined : firstPhone.get(row.phone);
    if (phoneTwin !== undefined) fail("phone", `duplicates line ${phoneTwin} (same phone)`, phoneTwin);
    const emailTwin = row.email === undefined ? undefined : firstEmail.get(row.email);
    if (emailTwin !== undefined && emailTwin !== phoneTwin) {
      fail("email", `duplicates line ${emailTwin} (same email)`, emailTwin);
    }
    if (row.phone !== undefined && phoneTwin === undefined) firstPhone.set(row.phone, line);
    if (row.email !== undefined && emailTwin === undefined) firstEmail.set(row.email, line);

    if (rowErrors.length > 0) errors.push(...rowErrors);
    else rows.push(row);
  }
  return { rows, errors, dataRows: dataRecords.length };
}
