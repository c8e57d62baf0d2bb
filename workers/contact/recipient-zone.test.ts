import { describe, expect, it } from "vitest";
import { KNOWN_ZONES, localHourMinute, nextLocalTime, recipientZone } from "./recipient-zone";

const FALLBACK = "America/Chicago";

describe("recipientZone", () => {
  it.each([
    ["New York (212)", "+12125550123", "America/New_York"],
    ["Los Angeles (213)", "+12135550123", "America/Los_Angeles"],
    ["Chicago (312)", "+13125550123", "America/Chicago"],
    ["Denver (303)", "+13035550123", "America/Denver"],
    ["Phoenix (602), which keeps standard time", "+16025550123", "America/Phoenix"],
    ["Honolulu (808)", "+18085550123", "Pacific/Honolulu"],
    ["Anchorage (907)", "+19075550123", "America/Anchorage"],
    ["Toronto (416)", "+14165550123", "America/Toronto"],
    ["Vancouver (604)", "+16045550123", "America/Vancouver"],
    ["Regina (306), which keeps standard time", "+13065550123", "America/Regina"],
    ["St. John's (709)", "+17095550123", "America/St_Johns"],
    ["the Florida Panhandle (850), Central by population", "+18505550123", "America/Chicago"],
    ["a Sydney landline", "+61293744000", "Australia/Sydney"],
    ["a Brisbane landline", "+61731234567", "Australia/Brisbane"],
    ["a Canary Islands landline", "+34922123456", "Atlantic/Canary"],
  ])("places %s by its area code", (_name, e164, zone) => {
    expect(recipientZone(e164, FALLBACK)).toEqual({ zone, from: "area-code" });
  });

  it.each([
    ["a UK mobile", "+447400123456", "Europe/London"],
    ["a New Zealand mobile", "+64211234567", "Pacific/Auckland"],
    ["an Irish mobile", "+353851234567", "Europe/Dublin"],
    ["a French mobile", "+33612345678", "Europe/Paris"],
    ["a German mobile", "+4915123456789", "Europe/Berlin"],
    ["a Spanish mobile", "+34612345678", "Europe/Madrid"],
    ["an Indian mobile", "+919812345678", "Asia/Kolkata"],
    ["a Tokyo number", "+81312345678", "Asia/Tokyo"],
    ["a South African mobile", "+27821234567", "Africa/Johannesburg"],
    ["a Philippine mobile", "+639171234567", "Asia/Manila"],
    ["a Singapore mobile", "+6581234567", "Asia/Singapore"],
    ["an Israeli mobile", "+972501234567", "Asia/Jerusalem"],
    ["a Jamaican number under +1", "+18769291234", "America/Jamaica"],
  ])("places %s by its country", (_name, e164, zone) => {
    expect(recipientZone(e164, FALLBACK)).toEqual({ zone, from: "country" });
  });

  it.each([
    ["a toll-free 800 number", "+18005550123"],
    ["a toll-free 888 number", "+18885550123"],
    ["a 900 premium number", "+19005550123"],
    ["a 500 personal number", "+15005550123"],
    ["an Australian mobile, which could be anywhere in Australia", "+61412345678"],
    ["a Perth-or-Adelaide landline (08)", "+61892345678"],
    ["a Brazilian mobile", "+5511987654321"],
    ["a Mexican number", "+525512345678"],
    ["a Russian mobile", "+79161234567"],
    ["a number too short to be one", "+1212"],
    ["something that is not a number", "not a phone"],
  ])("falls back for %s", (_name, e164) => {
    expect(recipientZone(e164, FALLBACK)).toEqual({ zone: FALLBACK, from: "fallback" });
  });

  it("answers only with zones the runtime knows", () => {
    for (const zone of KNOWN_ZONES) {
      expect(() => new Intl.DateTimeFormat("en-US", { timeZone: zone }), zone).not.toThrow();
    }
  });
});

describe("localHourMinute", () => {
  it("reads the wall clock and weekday in the zone", () => {
    const at = new Date("2025-01-15T14:30:00Z");
    expect(localHourMinute(at, "America/New_York")).toEqual({ hour: 9, minute: 30, weekday: "wed" });
    expect(localHourMinute(at, "Asia/Kolkata")).toEqual({ hour: 20, minute: 0, weekday: "wed" });
    expect(localHourMinute(at, "Pacific/Auckland")).toEqual({ hour: 3, minute: 30, weekday: "thu" });
  });

  it("reads midnight as hour 0", () => {
    expect(localHourMinute(new Date("2025-01-15T05:00:00Z"), "America/New_York")).toEqual({
      hour: 0,
      minute: 0,
      weekday: "wed",
    });
  });

  it("follows daylight saving time", () => {
    expect(localHourMinute(new Date("2025-07-15T14:30:00Z"), "America/New_York").hour).toBe(10);
  });
});

describe("nextLocalTime", () => {
  const next = (at: string, zone: string, hh: number, mm: number) =>
    nextLocalTime(new Date(at), zone, hh, mm).toISOString();

  it("finds the time later the same local day", () => {
    expect(next("2025-06-10T12:00:00Z", "America/New_York", 21, 0)).toBe("2025-06-11T01:00:00.000Z");
  });

  it("moves to the next local day when the time has passed", () => {
    // 22:00 on 9 June in New York; 08:00 comes on the 10th.
    expect(next("2025-06-10T02:00:00Z", "America/New_York", 8, 0)).toBe("2025-06-10T12:00:00.000Z");
  });

  it("answers the instant itself when the clock reads the time already", () => {
    expect(next("2025-06-10T12:00:00Z", "America/New_York", 8, 0)).toBe("2025-06-10T12:00:00.000Z");
  });

  it("crosses a month end", () => {
    expect(next("2025-01-31T23:00:00Z", "America/New_York", 8, 0)).toBe("2025-02-01T13:00:00.000Z");
  });

  it("lands on local time over the night clocks spring forward", () => {
    // 18:00 EST on Saturday 8 March 2025; 08:00 on Sunday is already EDT (UTC−4), not 24 hours on.
    expect(next("2025-03-08T23:00:00Z", "America/New_York", 8, 0)).toBe("2025-03-09T12:00:00.000Z");
  });

  it("answers the moment of the jump for a time the spring-forward night skips", () => {
    // 02:30 never happens on 9 March 2025 in New York: at 07:00Z the clock goes from 01:59 to 03:00.
    expect(next("2025-03-09T05:00:00Z", "America/New_York", 2, 30)).toBe("2025-03-09T07:00:00.000Z");
  });

  it("lands on local time over the night clocks fall back", () => {
    // 19:00 EDT on Saturday 1 November 2025; 08:00 on Sunday is EST (UTC−5).
    expect(next("2025-11-01T23:00:00Z", "America/New_York", 8, 0)).toBe("2025-11-02T13:00:00.000Z");
  });

  it("takes the first of the two readings of a repeated time", () => {
    // 01:30 happens twice on 2 November 2025 in New York: 05:30Z (EDT) and 06:30Z (EST).
    expect(next("2025-11-02T04:00:00Z", "America/New_York", 1, 30)).toBe("2025-11-02T05:30:00.000Z");
  });

  it("takes the second reading of a repeated time once the first has passed", () => {
    expect(next("2025-11-02T05:45:00Z", "America/New_York", 1, 30)).toBe("2025-11-02T06:30:00.000Z");
  });

  it("works in a zone whose local date runs ahead of UTC", () => {
    // Midnight starting 11 June in Auckland (UTC+12); 09:00 that day is 21:00Z on the 10th.
    expect(next("2025-06-10T12:00:00Z", "Pacific/Auckland", 9, 0)).toBe("2025-06-10T21:00:00.000Z");
  });

  it("refuses a time no clock shows", () => {
    expect(() => nextLocalTime(new Date(), "America/New_York", 24, 0)).toThrow(RangeError);
    expect(() => nextLocalTime(new Date(), "America/New_York", 8, 60)).toThrow(RangeError);
  });
});
