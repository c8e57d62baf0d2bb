import { describe, expect, it } from "vitest";
import { inventedClaimsIn, type SeoDna, textOfHtml } from "./critic";
import type { SeoAnchor, SeoCluster } from "./types";
import { writePageByRules } from "./writer-rules";

// An Austin plumber with two services in three cities; landmarks as the Overpass extract names them.
const dna: SeoDna = {
  identity: { businessName: "Bluebonnet Plumbing", phone: "+1 512-555-0142", website: "https://bluebonnet.example" },
  brandBrain: {
    voice: "Plain-spoken and neighbourly",
    differentiators: [
      "A plumber answers the phone, day or night",
      "Upfront quote before any work starts",
      "Shoe covers and a drop cloth in every home",
    ],
    insiderTips: [
      "Pour a kettle of hot water down kitchen drains once a week to keep grease from setting",
      "Flush your water heater tank once a year: hard water leaves sediment that shortens its life",
      "Know where your main water shut-off valve is before you need it",
    ],
    objections: [
      {
        objection: "Can't I just use a store-bought drain cleaner?",
        answer: "Chemical cleaners can eat through older pipes and rarely clear a clog deep in the line.",
      },
      {
        objection: "Is my water heater worth repairing?",
        answer: "Often yes: a failed thermostat or heating element is a small part.",
      },
      { objection: "Will you make a mess of my house?", answer: "No. We cover floors and take away what we remove." },
    ],
    forbiddenTopics: ["Insurance claims", "Competitor names"],
  },
  services: [
    { name: "Drain cleaning", slug: "drain-cleaning", keywords: ["clogged drains", "sewer line snaking"] },
    { name: "Water heater repair", slug: "water-heater-repair", keywords: ["no hot water", "pilot light"] },
  ],
  geoScope: { country: "US", cities: ["Austin", "Round Rock", "Cedar Park"], areas: [] },
};

const anchor = (id: number, name: string, kind: string, place: string, lat: number, lon: number): SeoAnchor => ({
  osmId: `node/${id}`,
  name,
  kind,
  place,
  lat,
  lon,
});

const anchors = [
  anchor(1, "Heman Marion Sweatt Travis County Courthouse", "courthouse", "Austin", 30.275, -97.7469),
  anchor(2, "Zilker Metropolitan Park", "park", "Austin", 30.267, -97.7729),
  anchor(3, "Austin Central Library", "library", "Austin", 30.2659, -97.7513),
  anchor(4, "Williamson County Jester Annex", "courthouse", "Round Rock", 30.5357, -97.6656),
  anchor(5, "Old Settlers Park", "park", "Round Rock", 30.5412, -97.6338),
  anchor(6, "St. David's Round Rock Medical Center", "hospital", "Round Rock", 30.5094, -97.6512),
  anchor(7, "Cedar Park Police Department", "police", "Cedar Park", 30.5113, -97.8206),
  anchor(8, "Elizabeth Milburn Park", "park", "Cedar Park", 30.5055, -97.8304),
  anchor(9, "H-E-B Center at Cedar Park", "attraction", "Cedar Park", 30.5105, -97.8105),
];

const cluster = (serviceSlug: string, place: string): SeoCluster => {
  const service = dna.services.find((s) => s.slug === serviceSlug) ?? { name: "?", slug: serviceSlug };
  const placeSlug = place.toLowerCase().replace(/\s+/g, "-");
  return {
    service: { name: service.name, slug: service.slug },
    place,
    primaryKeyword: `${service.name.toLowerCase()} ${place.toLowerCase()}`,
    secondaryKeywords: [],
    intent: "transactional",
    slug: `${service.slug}-${placeSlug}`,
  };
};

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
