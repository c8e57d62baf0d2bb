import { describe, expect, it } from "vitest";
import { reviewPage } from "./critic";
import { anchors, cluster, dna } from "./test-fixture";
import type { PageDraft, SeoCluster } from "./types";
import { writePageByRules } from "./writer-rules";

const clusters = dna.services.flatMap((s) => dna.geoScope.cities.map((place) => cluster(s.slug, place)));
const write = (c: SeoCluster, withDna = dna) => writePageByRules({ dna: withDna, cluster: c, anchors });
const pages = clusters.map((c) => write(c));
const others = pages.map((p) => ({ slug: p.slug, html: p.html }));

const roundRock = cluster("drain-cleaning", "Round Rock");
const roundRockPage = write(roundRock);
/** The Round Rock page with a paragraph added before its call to action. */
const withParagraph = (text: string, page: PageDraft = roundRockPage): PageDraft => ({
  ...page,
  html: page.html.replace(/<h2>Book/, `<p>${text}</p>\n<h2>Book`),
});
const review = (page: PageDraft, over: Partial<Parameters<typeof reviewPage>[1]> = {}) =>
  reviewPage(page, { dna, cluster: roundRock, anchors, others, ...over });

describe("the critic", () => {
  it("accepts the rules writer's pages for two services in three places as a set, none a near duplicate of another", () => {
    for (const [i, page] of pages.entries()) {
      const report = reviewPage(page, { dna, cluster: clusters[i] as SeoCluster, anchors, others });
      expect(report, page.slug).toMatchObject({ pass: true, forbidden: [], invented: [] });
      expect(report.nearest?.similarity, page.slug).toBeLessThan(0.6);
      expect(report.placeSpecificWords, page.slug).toBeGreaterThanOrEqual(40);
      expect(report.score, page.slug).toBeGreaterThanOrEqual(80);
    }
  });

  it("accepts the set also when the writer is given only each place's own landmarks, as the pipeline gives them", () => {
    const own = (c: SeoCluster) => anchors.filter((a) => a.place === c.place);
    const set = clusters.map((c) => writePageByRules({ dna, cluster: c, anchors: own(c) }));
    const siblings = set.map((p) => ({ slug: p.slug, html: p.html }));
    for (const [i, page] of set.entries()) {
      const c = clusters[i] as SeoCluster;
      expect(reviewPage(page, { dna, cluster: c, anchors: own(c), others: siblings }).pass, page.slug).toBe(true);
    }
  });

  it("rejects the same page with the place swapped as a doorway page", () => {
    const cedarPark = cluster("drain-cleaning", "Cedar Park");
    const swapped = {
      ...roundRockPage,
      slug: cedarPark.slug,
      html: roundRockPage.html.replaceAll("Round Rock", "Cedar Park"),
    };
    const report = reviewPage(swapped, {
      dna,
      cluster: cedarPark,
      anchors,
      others: [{ slug: roundRockPage.slug, html: roundRockPage.html }],
    });
    expect(report.pass).toBe(false);
    expect(report.nearest).toEqual({ slug: "drain-cleaning-round-rock", similarity: 1 });
    expect(report.reasons.join("\n")).toMatch(/^Doorway page: 100% the same as "drain-cleaning-round-rock"/m);
    // Every sentence naming Cedar Park is the Round Rock one with the town swapped: none is about Cedar Park.
    expect(report.placeSpecificWords).toBe(0);
  });

  it("compares a page with the project's other pages, not with itself", () => {
    expect(review(roundRockPage).nearest?.slug).not.toBe(roundRockPage.slug);
  });

  it("rejects a page that touches a forbidden topic, naming the topic", () => {
    const report = review(withParagraph("We can also help you file insurance claims after a burst pipe."));
    expect(report.pass).toBe(false);
    expect(report.forbidden).toEqual(["Insurance claims"]);
    expect(report.reasons).toContain(
      'Touches the forbidden topic "Insurance claims": drop "We can also help you file insurance claims after a burst pipe.".',
    );
  });

  it("matches a forbidden topic's words in the singular as well as the plural", () => {
    expect(review(withParagraph("Ask about an insurance claim.")).forbidden).toEqual(["Insurance claims"]);
  });

  it("does not flag a sentence holding only some of a forbidden topic's words", () => {
    expect(review(withParagraph("Ask whether your home insurance covers pipes.")).forbidden).toEqual([]);
  });

  it("rejects a price the DNA does not hold", () => {
    const report = review(withParagraph("Drain cleaning starts at $99."));
    expect(report.pass).toBe(false);
    expect(report.invented).toEqual(['price: "$99"']);
  });

  it("accepts a price the DNA states", () => {
    const priced = {
      ...dna,
      brandBrain: { ...dna.brandBrain, differentiators: [...dna.brandBrain.differentiators, "Drain cleaning for $99"] },
    };
    const page = writePageByRules({ dna: priced, cluster: roundRock, anchors });
    expect(page.html).toContain("$99");
    expect(review(page, { dna: priced })).toMatchObject({ pass: true, invented: [] });
  });

  it("rejects 'licensed' when the DNA does not say it", () => {
    const report = review(withParagraph("Every plumber we send is licensed."));
    expect(report.pass).toBe(false);
    expect(report.invented).toEqual(['licence: "licensed"']);
    expect(report.reasons).toContain(
      'Makes a claim the DNA does not hold, licence: "licensed": remove it or add it to the DNA.',
    );
  });

  it("accepts 'licensed' when the DNA says it", () => {
    const licensed = {
      ...dna,
      brandBrain: {
        ...dna.brandBrain,
        differentiators: [...dna.brandBrain.differentiators, "Licensed master plumbers"],
      },
    };
    const page = writePageByRules({ dna: licensed, cluster: roundRock, anchors });
    expect(page.html).toContain("Licensed master plumbers");
    expect(review(page, { dna: licensed })).toMatchObject({ pass: true, invented: [] });
  });

  it("names each rating, review, guarantee and years-in-business claim the DNA does not hold", () => {
    const report = review(
      withParagraph(
        "Rated 5-star in 200 reviews. Every repair has a warranty. Serving Texas since 1998 and for 25 years.",
      ),
    );
    expect(report.invented).toEqual([
      'rating: "rated"',
      'rating: "5-star"',
      'review: "reviews"',
      'guarantee: "warranty"',
      'years in business: "since 1998"',
      'years in business: "25 years"',
    ]);
    expect(report.score).toBe(0);
  });

  it("rejects a rating stated only in the JSON-LD", () => {
    const rated = {
      ...roundRockPage,
      jsonLd: [{ ...roundRockPage.jsonLd[0], aggregateRating: { "@type": "AggregateRating", ratingValue: 4.9 } }],
    };
    expect(review(rated).invented).toEqual(['schema.org: "aggregateRating"']);
  });

  it("counts as place-specific only sentences naming the place or its landmarks that are not the town swapped into a template", () => {
    const html = (place: string, landmark: string) =>
      [
        `<h2>Drain cleaning in ${place}</h2>`,
        `<p>We clear drains in ${place} every day.</p>`,
        `<p>${landmark} sits a short walk from the river.</p>`,
        "<p>Grease is the usual cause of a slow kitchen drain.</p>",
      ].join("\n");
    const page = { ...roundRockPage, html: html("Round Rock", "Old Settlers Park") };
    const report = review(page, {
      others: [{ slug: "drain-cleaning-austin", html: html("Austin", "Zilker Metropolitan Park") }],
    });
    // Only "Old Settlers Park sits a short walk from the river." (10 words): the other two are the Austin page's.
    expect(report.placeSpecificWords).toBe(10);
    expect(report.pass).toBe(false);
    expect(report.reasons).toContain(
      "Only 10 place-specific words (at least 40): add sentences about Round Rock and its landmarks that are not a template with the town swapped in.",
    );
  });

  it("costs points for a title over 60 characters and a meta description over 155", () => {
    const long = {
      ...roundRockPage,
      title: `${roundRockPage.title} and Sewer Specialists`,
      metaDescription: `${roundRockPage.metaDescription} `.repeat(2),
    };
    const before = review(roundRockPage);
    const after = review(long);
    expect(after.score).toBe(before.score - 10);
    expect(after.reasons).toContain("Title is 72 characters: keep it between 1 and 60.");
  });

  it("costs points for JSON-LD that is missing or does not survive JSON", () => {
    const before = review(roundRockPage).score;
    expect(review({ ...roundRockPage, jsonLd: [] }).score).toBe(before - 15);
    const unserializable = { ...roundRockPage, jsonLd: [{ ...roundRockPage.jsonLd[0], id: 1n }] };
    expect(review(unserializable).reasons).toContain(
      "Add JSON-LD: schema.org objects with @context and @type that survive JSON.stringify/parse.",
    );
  });

  it("applies the thresholds it is given", () => {
    const strict = review(roundRockPage, { thresholds: { maxSimilarity: 0.3 } });
    expect(strict.pass).toBe(false);
    expect(strict.reasons[0]).toMatch(/^Doorway page: \d+% the same as/);
    expect(review(roundRockPage, { thresholds: { minScore: 100 } }).pass).toBe(false);
  });
});
