import { describe, expect, it } from "vitest";
import { distanceKm, inScope, matchingKeyword } from "./match";

describe("which posts the business wants", () => {
  it("matches a keyword as a phrase of whole words, whatever the case and punctuation", () => {
    expect(matchingKeyword("Need a PLUMBER: water-heater leaking", ["water heater"])).toBe("water heater");
  });

  it("does not match a keyword whose words only appear apart", () => {
    expect(matchingKeyword("Water damage on the wall; need a painter for the heater closet", ["water heater"])).toBe(
      undefined,
    );
  });

  it("does not match a keyword inside a longer word", () => {
    expect(matchingKeyword("Looking for plumbers union info", ["plumber"])).toBe(undefined);
  });

  it("keeps a post in one of the places and drops one elsewhere", () => {
    const scope = { keywords: [], places: ["Round Rock", "Austin"] };
    expect(inScope("Round Rock, TX", null, scope)).toBe(true);
    expect(inScope("Dallas", null, scope)).toBe(false);
  });

  it("keeps a post outside the places when its coordinates are within the radius", () => {
    const scope = { keywords: [], places: ["Austin"], radiusKm: 40, center: { lat: 30.2672, lon: -97.7431 } };
    expect(inScope("Kyle", { lat: 29.9891, lon: -97.8772 }, scope)).toBe(true);
    expect(inScope("Dallas", { lat: 32.7767, lon: -96.797 }, scope)).toBe(false);
  });

  it("measures Austin to Dallas as about 293 km", () => {
    expect(Math.round(distanceKm({ lat: 30.2672, lon: -97.7431 }, { lat: 32.7767, lon: -96.797 }))).toBe(293);
  });
});
