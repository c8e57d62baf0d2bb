/**
 * How many SMS segments a text costs, as carriers bill it.
 *
 * A text that uses only the GSM 03.38 alphabet travels as 7-bit septets: 160
 * in one message, 153 per part once it is split (the rest carries the
 * concatenation header). One character outside that alphabet — a curly
 * apostrophe, an emoji — sends the whole text as UCS-2: 70 UTF-16 units, 67
 * per part. The extension table's characters cost two septets (an escape and
 * the character), and neither an escape pair nor a surrogate pair is split
 * across parts, so a part can end one unit short.
 *
 * The text is counted as given, not normalized: "é" written as e + a combining
 * accent is UCS-2 on the wire, and so it is here.
 */

export type SmsEncoding = "GSM-7" | "UCS-2";

export interface SmsSegments {
  encoding: SmsEncoding;
  /** Septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
  /** 0 for an empty text. */
  segments: number;
  /** Units one segment holds at this length: 160 or 153 (GSM-7), 70 or 67 (UCS-2). */
  perSegment: number;
}

// GSM 03.38 basic character set, in table order, without the escape (0x1B).
const GSM_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
// The extension table: each is sent as escape + character, two septets.
const GSM_EXTENSION = new Set("\f^{}\\[~]|€");

const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  "GSM-7": { single: 160, part: 153 },
  "UCS-2": { single: 70, part: 67 },
};

/** Septets the character costs in GSM-7, or undefined when GSM-7 cannot carry it. */
function septets(char: string): number | undefined {
  if (GSM_BASIC.has(char)) return 1;
  if (GSM_EXTENSION.has(char)) return 2;
  return undefined;
}

/** True when every character of the text is in the GSM-7 alphabet (basic or extension table). */
export function isGsm7(text: string): boolean {
  for (const char of text) if (septets(char) === undefined) return false;
  return true;
}

/** Encoding, size and segment count of an SMS body. */
export function smsSegments(text: string): SmsSegments {
  const encoding: SmsEncoding = isGsm7(text) ? "GSM-7" : "UCS-2";
  // Iterating a string yields code points, so a surrogate pair arrives whole (2 units).
  const sizes = Array.from(text, (char) => (encoding === "GSM-7" ? (septets(char) as number) : char.length));
  const units = sizes.reduce((sum, size) => sum + size, 0);
  const { single, part } = LIMITS[encoding];
  if (units === 0) return { encoding, units, segments: 0, perSegment: single };
  if (units <= single) return { encoding, units, segments: 1, perSegment: single };
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > part) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return { encoding, units, segments, perSegment: part };
}

export interface UnicodeCharacter {
  char: string;
  /** `U+2019` */
  codePoint: string;
  /** UTF-16 index of its first appearance, for highlighting. */
  index: number;
  count: number;
  /** A GSM-7 look-alike the author could type instead, when there is one. */
  replacement?: string;
}

// The usual culprits, pasted from a word processor or typed by a phone's smart punctuation.
const LOOK_ALIKES = new Map<string, string>([
  ["‘", "'"],
  ["’", "'"],
  ["‚", "'"],
  ["‛", "'"],
  ["′", "'"],
  ["“", '"'],
  ["”", '"'],
  ["„", '"'],
  ["‟", '"'],
  ["″", '"'],
  ["«", '"'],
  ["»", '"'],
  ["–", "-"],
  ["—", "-"],
  ["―", "-"],
  ["‐", "-"],
  ["‑", "-"],
  ["−", "-"],
  ["…", "..."],
  ["\u00a0", " "],
  ["\u2002", " "],
  ["\u2003", " "],
  ["\u2009", " "],
  ["\u202f", " "],
  ["\t", " "],
]);

/**
 * The characters that make a text UCS-2, each once, in order of first
 * appearance — so the editor can say "the ’ in don’t makes this Unicode" and
 * offer the plain ' instead.
 */
export function charactersForcingUcs2(text: string): UnicodeCharacter[] {
  const found = new Map<string, UnicodeCharacter>();
  let index = 0;
  for (const char of text) {
    if (septets(char) === undefined) {
      const seen = found.get(char);
      if (seen) seen.count += 1;
      else {
        const codePoint = `U+${(char.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0")}`;
        const replacement = LOOK_ALIKES.get(char);
        found.set(char, { char, codePoint, index, count: 1, ...(replacement === undefined ? {} : { replacement }) });
      }
    }
    index += char.length;
  }
  return [...found.values()];
}
