import { describe, expect, it } from "vitest";
import { charactersForcingUcs2, isGsm7, smsSegments } from "./sms-segments";

const EMOJI = "😀"; // U+1F600, a surrogate pair

describe("smsSegments", () => {
  it("counts a plain English text as GSM-7, one septet per character", () => {
    expect(smsSegments("Hi Ann, it's Pat's Plumbing. 10% off in May!")).toEqual({
      encoding: "GSM-7",
      units: 44,
      segments: 1,
      perSegment: 160,
    });
  });

  it("counts € as two septets", () => {
    expect(smsSegments("€5")).toMatchObject({ encoding: "GSM-7", units: 3 });
  });

  it.each([["^"], ["{"], ["}"], ["\\"], ["["], ["~"], ["]"], ["|"], ["€"], ["\f"]])(
    "counts the extension character %j as two septets",
    (char) => {
      expect(smsSegments(char)).toMatchObject({ encoding: "GSM-7", units: 2 });
    },
  );

  it("keeps the Greek capitals and accented letters of the basic set in GSM-7", () => {
    expect(smsSegments("ΔΦΓΛΩΠΨΣΘΞ ÄÖÑÜ äöñüà èéùìò Ç ¿¡ £¥§¤").encoding).toBe("GSM-7");
  });

  it("sends a lower-case ç as UCS-2, since only Ç is in the basic set", () => {
    expect(smsSegments("façade").encoding).toBe("UCS-2");
  });

  it("counts a 160-character GSM message as one segment", () => {
    expect(smsSegments("a".repeat(160))).toEqual({ encoding: "GSM-7", units: 160, segments: 1, perSegment: 160 });
  });

  it("counts a 161-character GSM message as two segments of 153", () => {
    expect(smsSegments("a".repeat(161))).toEqual({ encoding: "GSM-7", units: 161, segments: 2, perSegment: 153 });
  });

  it("fits 306 septets in two parts and needs a third for 307", () => {
    expect(smsSegments("a".repeat(306)).segments).toBe(2);
    expect(smsSegments("a".repeat(307)).segments).toBe(3);
  });

  it("counts a text of 159 letters and one € as two segments, since € makes it 161 septets", () => {
    expect(smsSegments(`${"a".repeat(159)}€`)).toMatchObject({ units: 161, segments: 2 });
  });

  it("does not split an escape pair across parts, so 306 septets can need three", () => {
    // Part one ends after 152 letters: the € (escape + character) would be septets 153 and 154.
    expect(smsSegments(`${"a".repeat(152)}€${"a".repeat(152)}`)).toMatchObject({ units: 306, segments: 3 });
  });

  it("sends the whole text as UCS-2 for one curly apostrophe", () => {
    expect(smsSegments(`Don’t miss out ${"a".repeat(100)}`)).toMatchObject({ encoding: "UCS-2", units: 115 });
  });

  it("counts a 70-unit UCS-2 text as one segment and 71 as two of 67", () => {
    expect(smsSegments(`’${"a".repeat(69)}`)).toEqual({ encoding: "UCS-2", units: 70, segments: 1, perSegment: 70 });
    expect(smsSegments(`’${"a".repeat(70)}`)).toEqual({ encoding: "UCS-2", units: 71, segments: 2, perSegment: 67 });
  });

  it("counts an emoji as two UTF-16 units", () => {
    expect(smsSegments(`Hi ${EMOJI}`)).toMatchObject({ encoding: "UCS-2", units: 5 });
  });

  it("does not split a surrogate pair across parts, so 134 units can need three", () => {
    // Part one holds 66 units; the emoji would be units 67 and 68.
    expect(smsSegments(`${"’".repeat(66)}${EMOJI}${"’".repeat(66)}`)).toMatchObject({ units: 134, segments: 3 });
  });

  it("counts the text as written: a decomposed é is UCS-2 though a precomposed é is GSM-7", () => {
    expect(smsSegments("caf\u00e9").encoding).toBe("GSM-7");
    expect(smsSegments("cafe\u0301").encoding).toBe("UCS-2");
  });

  it("counts an empty text as no segments", () => {
    expect(smsSegments("")).toEqual({ encoding: "GSM-7", units: 0, segments: 0, perSegment: 160 });
  });
});

describe("isGsm7", () => {
  it("accepts line breaks but not a tab", () => {
    expect(isGsm7("a\r\nb")).toBe(true);
    expect(isGsm7("a\tb")).toBe(false);
  });
});

describe("charactersForcingUcs2", () => {
  it("names the ’ in don’t with its code point, position and a plain replacement", () => {
    expect(charactersForcingUcs2("Hi, don’t wait")).toEqual([
      { char: "’", codePoint: "U+2019", index: 7, count: 1, replacement: "'" },
    ]);
  });

  it("lists each character once, in order of first appearance, with how often it appears", () => {
    const found = charactersForcingUcs2("“Deal” — don’t miss it, don’t");
    expect(found.map(({ char, count }) => [char, count])).toEqual([
      ["“", 1],
      ["”", 1],
      ["—", 1],
      ["’", 2],
    ]);
  });

  it("reports an emoji as one character at its UTF-16 position, with no replacement", () => {
    expect(charactersForcingUcs2(`${EMOJI}a${EMOJI}`)).toEqual([
      { char: EMOJI, codePoint: "U+1F600", index: 0, count: 2 },
    ]);
  });

  it("finds nothing in a GSM-7 text, extension characters included", () => {
    expect(charactersForcingUcs2("Save €20 [today] ~ {now}")).toEqual([]);
  });
});
