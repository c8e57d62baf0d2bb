import { describe, expect, it } from "vitest";
import { draftByRules, type SiteBlock } from "./onboarding-rules";

const site = "https://pats-plumbing.example.com";
const draft = (blocks: SiteBlock[], businessName = "Pat's Plumbing") =>
  draftByRules({ businessName, websiteUrl: site, blocks });

describe("the rule-based onboarding drafter", () => {
  it("takes services from short headings and list items that name a trade, not the business's name or generic headings", () => {
    const { layer } = draft([
      { tag: "h1", text: "Pat's Plumbing" },
      { tag: "h2", text: "Our services" },
      { tag: "li", text: "Burst pipe repair" },
      { tag: "li", text: "Blocked drains" },
      { tag: "li", text: "Hot water cylinders" },
      { tag: "li", text: "About us" },
      { tag: "p", text: "We fix leaking taps and blocked drains every day of the week for happy customers." },
    ]);
    expect(layer.services).toEqual([
      { name: "Burst pipe repair", slug: "burst-pipe-repair", keywords: ["burst pipe repair"] },
      { name: "Blocked drains", slug: "blocked-drains", keywords: ["blocked drains"] },
      { name: "Hot water cylinders", slug: "hot-water-cylinders", keywords: ["hot water cylinders"] },
    ]);
  });

  it("takes towns named after “serving” or “in”, and postal codes", () => {
    const { layer } = draft([
      { tag: "p", text: "Emergency plumbing in Springfield and Shelbyville, 24 hours a day." },
      { tag: "p", text: "Proudly serving Ogdenville, North Haverbrook & Capital City." },
      {
        tag: "p",
        text: "Workshop: 12 Main Street, Springfield, IL 62701. We also cover postcodes 6011, 6012 and 6021.",
      },
    ]);
    expect(layer.geoScope.cities).toEqual([
      "Springfield",
      "Shelbyville",
      "Ogdenville",
      "North Haverbrook",
      "Capital City",
    ]);
    expect(layer.geoScope.areas).toEqual(["62701", "6011", "6012", "6021"]);
  });

  it("reads opening hours per weekday: ranges of days, am/pm and 24-hour clocks, and closed days", () => {
    const { hours, notFound } = draft([
      { tag: "p", text: "Opening hours: Mon–Fri 8am–6pm, Saturday 9:00 - 13:00, Sunday closed." },
    ]);
    expect(hours).toEqual({
      always: false,
      week: {
        mon: [["08:00", "18:00"]],
        tue: [["08:00", "18:00"]],
        wed: [["08:00", "18:00"]],
        thu: [["08:00", "18:00"]],
        fri: [["08:00", "18:00"]],
        sat: [["09:00", "13:00"]],
        sun: [],
      },
    });
    expect(notFound).not.toContain("no opening hours on the site");
  });

  it("reads a bare closing hour before the opening one as the afternoon (Tue & Thu 7-4)", () => {
    const { hours } = draft([{ tag: "li", text: "Tue & Thu 7-4" }]);
    expect(hours).toEqual({ always: false, week: { tue: [["07:00", "16:00"]], thu: [["07:00", "16:00"]] } });
  });

  it("reads “24/7” or “24 hours a day” as open around the clock, quoting the site", () => {
    expect(draft([{ tag: "title", text: "Springfield's 24/7 plumber" }]).hours).toEqual({ always: true, said: "24/7" });
    expect(draft([{ tag: "p", text: "On call 24 hours a day." }]).hours).toEqual({
      always: true,
      said: "24 hours a day",
    });
  });

  it("takes phone numbers as E.164 and the first email address; the first phone becomes the business's", () => {
    const { layer, phones } = draft([
      { tag: "p", text: "Call +1 555 010 0001 or (555) 010-0002. Email pat@pats-plumbing.example.com." },
    ]);
    expect(phones).toEqual(["+15550100001", "+15550100002"]);
    expect(layer.identity).toEqual({
      businessName: "Pat's Plumbing",
      website: site,
      phone: "+15550100001",
      email: "pat@pats-plumbing.example.com",
    });
  });

  it("lists what it looked for and could not find", () => {
    const { notFound } = draft([
      { tag: "li", text: "Blocked drains" },
      { tag: "p", text: "Serving Springfield. Call +1 555 010 0001." },
    ]);
    expect(notFound).toEqual([
      "no email address on the site",
      "no postal codes on the site",
      "no opening hours on the site",
    ]);
  });

  it("invents nothing from an empty page: only the given name and site, and everything listed as not found", () => {
    const result = draft([
      { tag: "p", text: "   " },
      { tag: "h1", text: "" },
    ]);
    expect(result.layer).toEqual({
      identity: { businessName: "Pat's Plumbing", website: site },
      services: [],
      geoScope: { cities: [], areas: [] },
    });
    expect(result.phones).toEqual([]);
    expect(result.hours).toBeNull();
    expect(result.notFound).toEqual([
      "no readable text on the website",
      "no phone number on the site",
      "no email address on the site",
      "no services on the site (no heading or list item names a trade)",
      "no towns or cities on the site (looked after “serving” and “in”)",
      "no postal codes on the site",
      "no opening hours on the site",
    ]);
  });

  it("with no website, drafts only the name and says there was nothing to read", () => {
    const result = draftByRules({ businessName: "Lock Co", blocks: [] });
    expect(result.layer.identity).toEqual({ businessName: "Lock Co" });
    expect(result.notFound).toEqual(["no website was given, so nothing could be read from one"]);
  });
});
