import type { SeoDna } from "./critic";
import type { SeoAnchor, SeoCluster } from "./types";

// An Austin plumber with two services in three cities; landmarks as the Overpass extract names them.
export const dna: SeoDna = {
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

export const anchor = (id: number, name: string, kind: string, place: string, lat: number, lon: number): SeoAnchor => ({
  osmId: `node/${id}`,
  name,
  kind,
  place,
  lat,
  lon,
});

export const anchors = [
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

export const cluster = (serviceSlug: string, place: string): SeoCluster => {
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
