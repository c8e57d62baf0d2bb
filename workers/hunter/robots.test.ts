import { describe, expect, it } from "vitest";
import { parseRobots } from "./robots";

describe("robots.txt", () => {
  const robots = parseRobots(
    [
      "User-agent: *",
      "Disallow: /private/",
      "Disallow: /_sim/lanes/*/private/",
      "Allow: /private/open$",
      "Crawl-delay: 2",
      "",
      "User-agent: OtherBot",
      "Disallow: /",
    ].join("\n"),
  );

  it("disallows a path under a Disallow prefix", () => {
    expect(robots.allowed("/private/gig/g-1")).toBe(false);
  });

  it("allows a path no rule names", () => {
    expect(robots.allowed("/gig/g-1")).toBe(true);
  });

  it("reads * in a rule as any run of characters", () => {
    expect(robots.allowed("/_sim/lanes/abc/private/gig/1")).toBe(false);
    expect(robots.allowed("/_sim/lanes/abc/gig/1")).toBe(true);
  });

  it("lets the longer Allow win over a shorter Disallow, and $ anchor the end", () => {
    expect(robots.allowed("/private/open")).toBe(true);
    expect(robots.allowed("/private/open/more")).toBe(false);
  });

  it("takes the crawl delay of the group that applies", () => {
    expect(robots.crawlDelaySeconds).toBe(2);
  });

  it("uses the group naming our product token over the * group", () => {
    const ours = parseRobots("User-agent: *\nDisallow: /\n\nUser-agent: ApexHunter\nDisallow: /x\n");
    expect(ours.allowed("/jobs")).toBe(true);
    expect(ours.allowed("/x/1")).toBe(false);
  });
});
