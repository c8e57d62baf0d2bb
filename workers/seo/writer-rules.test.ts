import { describe, expect, it } from "vitest";
import { inventedClaimsIn, textOfHtml } from "./critic";
import { anchor, anchors, cluster, dna } from "./test-fixture";
import { writePageByRules } from "./writer-rules";

const write = (serviceSlug: string, place: string, over: Partial<Parameters<typeof writePageByRules>[0]> = {}) =>
  writePageByRules({ dna, cluster: cluster(serviceSlug, place), anchors, ...over });

/** The text of the first <h2> section. */
const firstSection = (html: string) => textOfHtml(html.split(/<h2>/)[1] ?? "");

describe("the rules writer", () => {
  it("titles the page '{Service} in {Place} | {Business}' within 60 characters", () => {
    expect(write("drain-cleaning", "Round Rock").title).toBe("Drain cleaning in Round Rock | Bluebonnet Plumbing");
  });

  it("drops the business from a title that would pass 60 characters", () => {
    const long = { ...dna, identity: { ...dna.identity, businessName: "Bluebonnet Plumbing and Drain Specialists" } };
    const page = writePageByRules({ dna: long, cluster: cluster("water-heater-repair", "Cedar Park"), anchors });
    expect(page.title).toBe("Water heater repair in Cedar Park");
  });

  it("keeps the meta description within 155 characters, naming the service, the place and the phone", () => {
    const meta = write("drain-cleaning", "Austin").metaDescription;
    expect(meta.length).toBeLessThanOrEqual(155);
    expect(meta).toContain("Drain cleaning in Austin from Bluebonnet Plumbing.");
    expect(meta).toContain("Call +1 512-555-0142.");
  });

  it("names the place and at least two of its landmarks, with their kinds, in the first section", () => {
    const text = firstSection(write("drain-cleaning", "Round Rock").html);
    expect(text).toContain("drain cleaning in Round Rock");
    expect(text).toContain("Williamson County Jester Annex (courthouse)");
    expect(text).toContain("St. David's Round Rock Medical Center");
    expect(text).toContain("Old Settlers Park");
  });

  it("places each landmark by distance and direction computed from the coordinates", () => {
    const text = textOfHtml(write("drain-cleaning", "Round Rock").html);
    expect(text).toContain("Old Settlers Park: about 1.9 miles east of Williamson County Jester Annex.");
  });

  it("says how far the place is from the other places the business serves", () => {
    const text = textOfHtml(write("drain-cleaning", "Round Rock").html);
    expect(text).toContain("Round Rock lies about 10 miles east of Cedar Park and about 19 miles north of Austin");
  });

  it("leads two services in one place with different landmarks", () => {
    const lead = (html: string) => textOfHtml(html).match(/Near (.+?)\?/)?.[1];
    expect(lead(write("drain-cleaning", "Round Rock").html)).toBe("Williamson County Jester Annex (courthouse)");
    expect(lead(write("water-heater-repair", "Round Rock").html)).toBe("St. David's Round Rock Medical Center");
  });

  it("uses the DNA's differentiators, tips and answers in its own words", () => {
    const text = textOfHtml(write("drain-cleaning", "Austin").html);
    expect(text).toContain("Upfront quote before any work starts.");
    expect(text).toContain("Know where your main water shut-off valve is before you need it.");
    expect(text).toContain("Chemical cleaners can eat through older pipes");
  });

  it("leaves out tips and questions about the business's other service", () => {
    const text = textOfHtml(write("drain-cleaning", "Austin").html);
    expect(text).not.toContain("water heater");
    expect(textOfHtml(write("water-heater-repair", "Austin").html)).not.toContain("drain cleaner");
  });

  it("claims no price, rating, licence, guarantee or years in business of its own", () => {
    for (const place of dna.geoScope.cities) {
      const page = write("water-heater-repair", place);
      expect(inventedClaimsIn(`${page.title}\n${page.metaDescription}\n${textOfHtml(page.html)}`, "")).toEqual([]);
    }
  });

  it("leaves out a DNA item that touches a forbidden topic", () => {
    const tipped = {
      ...dna,
      brandBrain: {
        ...dna.brandBrain,
        insiderTips: [...dna.brandBrain.insiderTips, "Photograph water damage before you file insurance claims"],
      },
    };
    const page = writePageByRules({ dna: tipped, cluster: cluster("drain-cleaning", "Austin"), anchors });
    expect(page.html).not.toMatch(/insurance/i);
  });

  it("escapes HTML in the DNA's and the anchors' text", () => {
    const odd = [anchor(20, "Tom & Jerry's <Park>", "park", "Austin", 30.27, -97.75), ...anchors];
    const page = writePageByRules({ dna, cluster: cluster("drain-cleaning", "Austin"), anchors: odd });
    expect(page.html).toContain("Tom &amp; Jerry&#39;s &lt;Park&gt;");
    expect(page.html).not.toContain("<Park>");
  });

  it("ends with a call to action that dials the business's phone", () => {
    const page = write("drain-cleaning", "Cedar Park");
    const last = page.html.slice(page.html.lastIndexOf("<h2>"));
    expect(last).toContain("<h2>Book drain cleaning in Cedar Park</h2>");
    expect(last).toContain('<a href="tel:+15125550142">+1 512-555-0142</a>');
  });

  it("describes the business in JSON-LD serving the place, offering the service, with only the contact details the DNA holds", () => {
    const noPhone = { ...dna, identity: { businessName: "Bluebonnet Plumbing" } };
    const page = writePageByRules({ dna: noPhone, cluster: cluster("drain-cleaning", "Round Rock"), anchors });
    expect(page.jsonLd[0]).toEqual({
      "@context": "https://schema.org",
      "@type": "LocalBusiness",
      name: "Bluebonnet Plumbing",
      areaServed: { "@type": "City", name: "Round Rock" },
      makesOffer: {
        "@type": "Offer",
        itemOffered: {
          "@type": "Service",
          name: "Drain cleaning",
          serviceType: "Drain cleaning",
          areaServed: { "@type": "City", name: "Round Rock" },
        },
      },
    });
  });

  it("marks up exactly the questions the page shows as an FAQPage", () => {
    const page = write("drain-cleaning", "Austin");
    const faq = page.jsonLd.find((item) => item["@type"] === "FAQPage") as { mainEntity: { name: string }[] };
    const shown = [...page.html.matchAll(/<h3>(.*?)<\/h3>/g)].map((m) => textOfHtml(m[1] ?? ""));
    expect(faq.mainEntity.map((q) => q.name)).toEqual(shown);
    expect(shown).toEqual(["Can't I just use a store-bought drain cleaner?", "Will you make a mess of my house?"]);
  });

  it("names more landmarks and shares less with its siblings on a second attempt after a doorway verdict", () => {
    const many = [
      ...anchors,
      anchor(10, "Austin Police Department Headquarters", "police", "Austin", 30.2676, -97.7386),
      anchor(11, "Dell Seton Medical Center", "hospital", "Austin", 30.2765, -97.7334),
      anchor(12, "Austin City Hall", "townhall", "Austin", 30.2648, -97.7473),
      anchor(13, "Texas State Capitol", "attraction", "Austin", 30.2747, -97.7404),
    ];
    const named = (html: string) => many.filter((a) => textOfHtml(html).includes(a.name)).length;
    const first = writePageByRules({ dna, cluster: cluster("drain-cleaning", "Austin"), anchors: many });
    const second = writePageByRules({
      dna,
      cluster: cluster("drain-cleaning", "Austin"),
      anchors: many,
      attempt: 2,
      feedback: ['Doorway page: 72% the same as "drain-cleaning-round-rock" once place names are masked.'],
    });
    expect(named(first.html)).toBe(5);
    expect(named(second.html)).toBe(7);
    expect(textOfHtml(second.html)).not.toContain("Know where your main water shut-off valve");
  });

  it("drops what the feedback quotes as a forbidden topic", () => {
    const page = write("drain-cleaning", "Austin", {
      attempt: 2,
      feedback: ['Touches the forbidden topic "answers the phone": drop it.'],
    });
    expect(page.html).not.toContain("answers the phone");
    expect(page.html).toContain("Upfront quote before any work starts.");
  });

  it("writes the same page for the same input", () => {
    expect(write("water-heater-repair", "Cedar Park")).toEqual(write("water-heater-repair", "Cedar Park"));
  });
});
