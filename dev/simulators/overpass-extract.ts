/**
 * The OpenStreetMap data the Overpass simulator answers from: four cities of
 * the Austin, TX metro, each with its administrative boundary (as OSM holds
 * it: a relation, and the area Overpass derives from it), the city's place
 * node, and 7–8 landmarks across courthouse, police, hospital, park,
 * attraction, townhall and library. Names and addresses are the real places';
 * coordinates are close to them but hand-placed, and every OSM id is
 * invented, so nothing here is a faithful copy of OSM (ODbL) data.
 *
 * A boundary's `centre` is what Overpass prints as the relation's `center`
 * (the middle of its bounding box), not the downtown where the place node
 * sits. Landmarks lie inside their city: each names the one area it is in.
 */

export const EXTRACT_TIMESTAMP = "2025-06-02T08:00:00Z";

export interface OsmArea {
  /** The boundary's `name` tag, which `area["name"="…"]` matches. */
  name: string;
  relationId: number;
  /** Middle of the boundary's bounding box. */
  centre: { lat: number; lon: number };
  placeNode: { id: number; lat: number; lon: number };
  population: number;
  county: string;
}

export interface OsmFeature {
  type: "node" | "way";
  id: number;
  /** The `OsmArea.name` the feature lies in. */
  area: string;
  /** A node's position, or a way's centre (what `out center` prints). */
  lat: number;
  lon: number;
  tags: Record<string, string>;
}

export const AREAS: OsmArea[] = [
  {
    name: "Austin",
    relationId: 113314,
    centre: { lat: 30.3074, lon: -97.756 },
    placeNode: { id: 1008212001, lat: 30.2711, lon: -97.7437 },
    population: 961855,
    county: "Travis County",
  },
  {
    name: "Round Rock",
    relationId: 115424,
    centre: { lat: 30.525, lon: -97.665 },
    placeNode: { id: 1008212002, lat: 30.5083, lon: -97.6789 },
    population: 119468,
    county: "Williamson County",
  },
  {
    name: "Pflugerville",
    relationId: 115371,
    centre: { lat: 30.448, lon: -97.613 },
    placeNode: { id: 1008212003, lat: 30.4397, lon: -97.6211 },
    population: 65191,
    county: "Travis County",
  },
  {
    name: "Cedar Park",
    relationId: 115426,
    centre: { lat: 30.515, lon: -97.825 },
    placeNode: { id: 1008212004, lat: 30.5052, lon: -97.8203 },
    population: 77595,
    county: "Williamson County",
  },
];

/** Address tags as OSM spells them. */
const address = (housenumber: string, street: string, city: string, postcode: string) => ({
  "addr:housenumber": housenumber,
  "addr:street": street,
  "addr:city": city,
  "addr:state": "TX",
  "addr:postcode": postcode,
});

export const FEATURES: OsmFeature[] = [
  // Austin
  {
    type: "way",
    id: 51200101,
    area: "Austin",
    lat: 30.275,
    lon: -97.7461,
    tags: {
      amenity: "courthouse",
      name: "Heman Marion Sweatt Travis County Courthouse",
      building: "civic",
      ...address("1000", "Guadalupe Street", "Austin", "78701"),
    },
  },
  {
    type: "node",
    id: 3145000101,
    area: "Austin",
    lat: 30.2676,
    lon: -97.7358,
    tags: {
      amenity: "police",
      name: "Austin Police Department Headquarters",
      ...address("715", "East 8th Street", "Austin", "78701"),
    },
  },
  {
    type: "way",
    id: 51200102,
    area: "Austin",
    lat: 30.2765,
    lon: -97.734,
    tags: {
      amenity: "hospital",
      name: "Dell Seton Medical Center at The University of Texas",
      emergency: "yes",
      healthcare: "hospital",
      ...address("1500", "Red River Street", "Austin", "78701"),
    },
  },
  {
    type: "way",
    id: 51200103,
    area: "Austin",
    lat: 30.267,
    lon: -97.769,
    tags: {
      leisure: "park",
      name: "Zilker Metropolitan Park",
      ...address("2100", "Barton Springs Road", "Austin", "78746"),
    },
  },
  {
    type: "way",
    id: 51200104,
    area: "Austin",
    lat: 30.2747,
    lon: -97.7404,
    tags: {
      tourism: "attraction",
      name: "Texas State Capitol",
      building: "government",
      ...address("1100", "Congress Avenue", "Austin", "78701"),
    },
  },
  {
    type: "node",
    id: 3145000102,
    area: "Austin",
    lat: 30.2613,
    lon: -97.7451,
    tags: { tourism: "attraction", name: "Congress Avenue Bridge Bat Colony" },
  },
  {
    type: "node",
    id: 3145000103,
    area: "Austin",
    lat: 30.2648,
    lon: -97.7473,
    tags: { amenity: "townhall", name: "Austin City Hall", ...address("301", "West 2nd Street", "Austin", "78701") },
  },
  {
    type: "node",
    id: 3145000104,
    area: "Austin",
    lat: 30.2659,
    lon: -97.7522,
    tags: {
      amenity: "library",
      name: "Austin Central Library",
      ...address("710", "West Cesar Chavez Street", "Austin", "78701"),
    },
  },

  // Round Rock
  {
    type: "node",
    id: 3145000201,
    area: "Round Rock",
    lat: 30.5086,
    lon: -97.6774,
    tags: {
      amenity: "townhall",
      name: "Round Rock City Hall",
      ...address("221", "East Main Street", "Round Rock", "78664"),
    },
  },
  {
    type: "node",
    id: 3145000202,
    area: "Round Rock",
    lat: 30.5377,
    lon: -97.6886,
    tags: {
      amenity: "police",
      name: "Round Rock Police Department",
      ...address("2701", "North Mays Street", "Round Rock", "78665"),
    },
  },
  {
    type: "node",
    id: 3145000203,
    area: "Round Rock",
    lat: 30.5357,
    lon: -97.656,
    tags: {
      amenity: "courthouse",
      name: "Williamson County Jester Annex",
      ...address("1801", "East Old Settlers Boulevard", "Round Rock", "78664"),
    },
  },
  {
    type: "way",
    id: 51200201,
    area: "Round Rock",
    lat: 30.5094,
    lon: -97.7037,
    tags: {
      amenity: "hospital",
      name: "St. David's Round Rock Medical Center",
      emergency: "yes",
      healthcare: "hospital",
      ...address("2400", "Round Rock Avenue", "Round Rock", "78681"),
    },
  },
  {
    type: "way",
    id: 51200202,
    area: "Round Rock",
    lat: 30.5412,
    lon: -97.614,
    tags: {
      leisure: "park",
      name: "Old Settlers Park",
      ...address("3300", "East Palm Valley Boulevard", "Round Rock", "78665"),
    },
  },
  {
    type: "node",
    id: 3145000204,
    area: "Round Rock",
    lat: 30.5099,
    lon: -97.6775,
    tags: {
      amenity: "library",
      name: "Round Rock Public Library",
      ...address("200", "East Liberty Avenue", "Round Rock", "78664"),
    },
  },
  {
    type: "node",
    id: 3145000205,
    area: "Round Rock",
    lat: 30.5155,
    lon: -97.6895,
    tags: { tourism: "attraction", name: "The Round Rock", historic: "memorial" },
  },

  // Pflugerville
  {
    type: "node",
    id: 3145000301,
    area: "Pflugerville",
    lat: 30.4391,
    lon: -97.6193,
    tags: {
      amenity: "townhall",
      name: "Pflugerville City Hall",
      ...address("100", "East Main Street", "Pflugerville", "78660"),
    },
  },
  {
    type: "node",
    id: 3145000302,
    area: "Pflugerville",
    lat: 30.4487,
    lon: -97.6032,
    tags: {
      amenity: "police",
      name: "Pflugerville Police Department",
      ...address("1611", "East Pfennig Lane", "Pflugerville", "78660"),
    },
  },
  {
    type: "node",
    id: 3145000303,
    area: "Pflugerville",
    lat: 30.4484,
    lon: -97.6038,
    tags: { amenity: "courthouse", name: "Pflugerville Municipal Court" },
  },
  {
    type: "node",
    id: 3145000304,
    area: "Pflugerville",
    lat: 30.4424,
    lon: -97.6296,
    tags: {
      amenity: "library",
      name: "Pflugerville Public Library",
      ...address("1008", "West Pfluger Street", "Pflugerville", "78660"),
    },
  },
  {
    type: "way",
    id: 51200301,
    area: "Pflugerville",
    lat: 30.46,
    lon: -97.588,
    tags: {
      leisure: "park",
      name: "Lake Pflugerville Park",
      ...address("18216", "Weiss Lane", "Pflugerville", "78660"),
    },
  },
  {
    type: "way",
    id: 51200302,
    area: "Pflugerville",
    lat: 30.437,
    lon: -97.6165,
    tags: { leisure: "park", name: "Gilleland Creek Park" },
  },
  {
    type: "way",
    id: 51200303,
    area: "Pflugerville",
    lat: 30.456,
    lon: -97.5895,
    tags: {
      amenity: "hospital",
      name: "Baylor Scott & White Medical Center – Pflugerville",
      emergency: "yes",
      healthcare: "hospital",
      ...address("2600", "East Pflugerville Parkway", "Pflugerville", "78660"),
    },
  },
  {
    type: "node",
    id: 3145000305,
    area: "Pflugerville",
    lat: 30.4413,
    lon: -97.6153,
    tags: { tourism: "attraction", name: "Pflugerville Heritage House Museum" },
  },

  // Cedar Park
  {
    type: "node",
    id: 3145000401,
    area: "Cedar Park",
    lat: 30.4983,
    lon: -97.8217,
    tags: {
      amenity: "townhall",
      name: "Cedar Park City Hall",
      ...address("450", "Cypress Creek Road", "Cedar Park", "78613"),
    },
  },
  {
    type: "node",
    id: 3145000402,
    area: "Cedar Park",
    lat: 30.5113,
    lon: -97.8138,
    tags: {
      amenity: "police",
      name: "Cedar Park Police Department",
      ...address("911", "Quest Parkway", "Cedar Park", "78613"),
    },
  },
  {
    type: "node",
    id: 3145000403,
    area: "Cedar Park",
    lat: 30.5236,
    lon: -97.8264,
    tags: {
      amenity: "courthouse",
      name: "Williamson County Justice of the Peace Precinct 2",
      ...address("350", "Discovery Boulevard", "Cedar Park", "78613"),
    },
  },
  {
    type: "way",
    id: 51200401,
    area: "Cedar Park",
    lat: 30.5312,
    lon: -97.8246,
    tags: {
      amenity: "hospital",
      name: "Cedar Park Regional Medical Center",
      emergency: "yes",
      healthcare: "hospital",
      ...address("1401", "Medical Parkway", "Cedar Park", "78613"),
    },
  },
  {
    type: "node",
    id: 3145000404,
    area: "Cedar Park",
    lat: 30.5243,
    lon: -97.8278,
    tags: {
      amenity: "library",
      name: "Cedar Park Public Library",
      ...address("550", "Discovery Boulevard", "Cedar Park", "78613"),
    },
  },
  {
    type: "way",
    id: 51200402,
    area: "Cedar Park",
    lat: 30.5055,
    lon: -97.8395,
    tags: {
      leisure: "park",
      name: "Elizabeth Milburn Park",
      ...address("1901", "Sun Chase Boulevard", "Cedar Park", "78613"),
    },
  },
  {
    type: "node",
    id: 3145000405,
    area: "Cedar Park",
    lat: 30.5105,
    lon: -97.824,
    tags: { tourism: "attraction", name: "H-E-B Center at Cedar Park" },
  },
];
