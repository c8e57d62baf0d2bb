import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js";

/**
 * Where a phone number most likely sits in time, so texts stay out of the
 * recipient's quiet hours. A guess by design: people keep their numbers when
 * they move, and mobiles carry no place at all outside North America. So the
 * answer says where it came from, and anything we cannot place honestly gets
 * the caller's fallback (the project's own zone) rather than a confident wrong
 * zone.
 */
export interface RecipientZone {
  zone: string;
  from: "area-code" | "country" | "fallback";
}

/**
 * US and Canadian geographic area codes (overlays included) by the zone most
 * of their people live in. An area code that crosses a zone line goes to its
 * majority, noted beside it. Codes absent here — toll-free (800 833 844 855
 * 866 877 888), 5XX personal, 600/622/633 Canadian non-geographic, 700, 710,
 * 900 — carry no place and fall back, as do codes opened after this table.
 */
const NANP_ZONES: Record<string, string[]> = {
  "America/New_York": [
    "203 475 860 959", // CT
    "302", // DE
    "202 771", // DC
    // FL peninsula and Big Bend; the western Panhandle (850/448) is Central, below.
    "239 305 321 324 352 386 407 561 645 656 689 727 728 754 772 786 813 863 904 941 954",
    "229 404 470 478 678 706 762 770 912 943", // GA
    // IN: 574 and 812/930 each have a few Central counties (Starke; Evansville's corner), most are Eastern.
    "260 317 463 574 765 812 930",
    "502 606 859", // KY east and centre; the west (270/364) is Central, below.
    "207", // ME
    "227 240 301 410 443 667", // MD
    "339 351 413 508 617 774 781 857 978", // MA
    // MI: four Upper Peninsula counties on the Wisconsin line (906) keep Central time; most of 906 is Eastern.
    "231 248 269 313 517 586 616 734 810 906 947 989",
    "603", // NH
    "201 551 609 640 732 848 856 862 908 973", // NJ
    "212 315 329 332 347 363 516 518 585 607 631 646 680 716 718 838 845 914 917 929 934", // NY
    "252 336 472 704 743 828 910 919 980 984", // NC
    "216 220 234 283 326 330 380 419 440 513 567 614 740 937", // OH
    "215 223 267 272 412 445 484 570 582 610 717 724 814 835 878", // PA
    "401", // RI
    "803 821 839 843 854 864", // SC
    "423 865", // TN east
    "802", // VT
    "276 434 540 571 686 703 757 804 826 948", // VA
    "304 681", // WV
  ],
  "America/Chicago": [
    "205 251 256 334 659 938", // AL
    "327 479 501 870", // AR
    // FL western Panhandle: Pensacola, Fort Walton, Panama City (Central) outnumber Tallahassee (Eastern).
    "448 850",
    "217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 872", // IL
    "219", // IN north-west (Gary, Hammond, Valparaiso) keeps Central time.
    "319 515 563 641 712", // IA
    "316 620 785 913", // KS; four western counties are Mountain.
    "270 364", // KY west: Bowling Green, Owensboro, Paducah are Central; Elizabethtown's corner is Eastern.
    "225 318 337 504 985", // LA
    "218 320 507 612 651 763 952", // MN
    "228 601 662 769", // MS
    "235 314 417 557 573 636 660 816 975", // MO
    "308 402 531", // NE; 308's Panhandle (Scottsbluff) is Mountain, its larger east is Central.
    "701", // ND; the south-west corner is Mountain.
    "405 539 572 580 918", // OK
    "605", // SD; west of the Missouri (Rapid City) is Mountain, Sioux Falls and the majority Central.
    "615 629 731 901 931", // TN middle and west
    "210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 903 936 940 945 956 972 979", // TX
    "262 274 353 414 534 608 715 920", // WI
  ],
  "America/Denver": [
    "303 719 720 748 970 983", // CO
    "406", // MT
    "505 575", // NM
    "385 435 801", // UT
    "307", // WY
    "915", // TX, El Paso
  ],
  // Southern Idaho (Boise) is Mountain; the Panhandle (Coeur d'Alene) is Pacific and smaller.
  "America/Boise": ["208 986"],
  // Arizona keeps standard time all year (the Navajo Nation, a minority of 928, does not).
  "America/Phoenix": ["480 520 602 623 928"],
  "America/Los_Angeles": [
    "209 213 279 310 323 341 350 369 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 707 714",
    "738 747 760 805 818 820 831 840 858 909 916 925 949 951", // CA
    "702 725 775", // NV
    "458 503 541 971", // OR; Malheur County (in 541/458) is Mountain.
    "206 253 360 425 509 564", // WA
  ],
  "America/Anchorage": ["907"], // The Aleutians west of 169°W keep Hawaii–Aleutian time, a few thousand people.
  "Pacific/Honolulu": ["808"],
  // Ontario and Quebec. 807 (north-west Ontario): Kenora and the west are Central, Thunder Bay and most of the
  // people Eastern. 418/581/367 include the Magdalen Islands (Atlantic), a small minority.
  "America/Toronto": [
    "226 249 289 343 365 382 416 437 519 548 613 647 683 705 742 753 807 905 942", // ON
    "263 354 367 418 438 450 468 514 579 581 819 873", // QC
  ],
  "America/Winnipeg": ["204 431 584"], // MB
  "America/Vancouver": ["236 250 257 604 672 778"], // BC; the Peace River towns in 250 keep Mountain time.
  "America/Edmonton": [
    "368 403 587 780 825", // AB
    // 867 is Yukon (which keeps UTC−7 all year), Northwest Territories (Mountain) and Nunavut (Mountain to
    // Eastern); the Territories and western Nunavut on Mountain time together are the larger share.
    "867",
  ],
  "America/Regina": ["306 474 639"], // SK keeps Central Standard Time all year.
  "America/Halifax": ["428 506 782 902"], // NS, PEI, NB
  "America/St_Johns": ["709 879"], // NL; Labrador, a small share, is on Atlantic time.
};

/** Area code → zone, inverted from NANP_ZONES once. */
const ZONE_BY_AREA_CODE = new Map(
  Object.entries(NANP_ZONES).flatMap(([zone, lines]) =>
    lines.flatMap((line) => line.split(" ").map((code) => [code, zone] as const)),
  ),
);

/**
 * Countries that keep one zone (or whose other zones hold few people, noted),
 * by ISO code — so the Channel Islands under +44 and the Caribbean under +1
 * land right. Multi-zone countries (Australia apart from its landline prefixes
 * below; Brazil, Mexico, Russia, Indonesia, Kazakhstan, the US and Canada
 * outside the table above) are missing on purpose and fall back.
 */
const COUNTRY_ZONES: Partial<Record<CountryCode, string>> = {
  // Europe
  GB: "Europe/London",
  GG: "Europe/London",
  JE: "Europe/London",
  IM: "Europe/London",
  IE: "Europe/Dublin",
  FR: "Europe/Paris", // metropolitan France; the overseas departments have their own calling codes
  DE: "Europe/Berlin",
  ES: "Europe/Madrid", // mainland; Canary landlines are told apart below
  PT: "Europe/Lisbon", // the Azores (one hour behind) are a small minority
  IT: "Europe/Rome",
  NL: "Europe/Amsterdam",
  BE: "Europe/Brussels",
  LU: "Europe/Luxembourg",
  CH: "Europe/Zurich",
  AT: "Europe/Vienna",
  DK: "Europe/Copenhagen",
  SE: "Europe/Stockholm",
  NO: "Europe/Oslo",
  FI: "Europe/Helsinki",
  IS: "Atlantic/Reykjavik",
  PL: "Europe/Warsaw",
  CZ: "Europe/Prague",
  SK: "Europe/Bratislava",
  HU: "Europe/Budapest",
  RO: "Europe/Bucharest",
  BG: "Europe/Sofia",
  GR: "Europe/Athens",
  HR: "Europe/Zagreb",
  SI: "Europe/Ljubljana",
  RS: "Europe/Belgrade",
  EE: "Europe/Tallinn",
  LV: "Europe/Riga",
  LT: "Europe/Vilnius",
  UA: "Europe/Kyiv",
  TR: "Europe/Istanbul",
  CY: "Asia/Nicosia",
  MT: "Europe/Malta",
  // Middle East and Africa
  IL: "Asia/Jerusalem",
  AE: "Asia/Dubai",
  SA: "Asia/Riyadh",
  QA: "Asia/Qatar",
  EG: "Africa/Cairo",
  MA: "Africa/Casablanca",
  NG: "Africa/Lagos",
  GH: "Africa/Accra",
  KE: "Africa/Nairobi",
  ZA: "Africa/Johannesburg",
  // Asia and the Pacific
  IN: "Asia/Kolkata",
  PK: "Asia/Karachi",
  BD: "Asia/Dhaka",
  LK: "Asia/Colombo",
  NP: "Asia/Kathmandu",
  CN: "Asia/Shanghai",
  HK: "Asia/Hong_Kong",
  TW: "Asia/Taipei",
  JP: "Asia/Tokyo",
  KR: "Asia/Seoul",
  PH: "Asia/Manila",
  SG: "Asia/Singapore",
  MY: "Asia/Kuala_Lumpur",
  TH: "Asia/Bangkok",
  VN: "Asia/Ho_Chi_Minh",
  NZ: "Pacific/Auckland", // the Chatham Islands (45 minutes ahead) are a few hundred people
  // Latin America
  AR: "America/Argentina/Buenos_Aires",
  CL: "America/Santiago", // Easter Island is a small minority
  CO: "America/Bogota",
  PE: "America/Lima",
  EC: "America/Guayaquil", // the Galápagos are a small minority
  VE: "America/Caracas",
  UY: "America/Montevideo",
  CR: "America/Costa_Rica",
  PA: "America/Panama",
  GT: "America/Guatemala",
  SV: "America/El_Salvador",
  HN: "America/Tegucigalpa",
  // NANP members outside the US and Canada: each is one zone, told apart by libphonenumber-js from the area code.
  PR: "America/Puerto_Rico",
  VI: "America/St_Thomas",
  GU: "Pacific/Guam",
  MP: "Pacific/Saipan",
  AS: "Pacific/Pago_Pago",
  BS: "America/Nassau",
  BB: "America/Barbados",
  BM: "Atlantic/Bermuda",
  DO: "America/Santo_Domingo",
  JM: "America/Jamaica",
  TT: "America/Port_of_Spain",
  KY: "America/Cayman",
  TC: "America/Grand_Turk",
  AG: "America/Antigua",
  AI: "America/Anguilla",
  DM: "America/Dominica",
  GD: "America/Grenada",
  KN: "America/St_Kitts",
  LC: "America/St_Lucia",
  MS: "America/Montserrat",
  SX: "America/Lower_Princes",
  VC: "America/St_Vincent",
  VG: "America/Tortola",
};

/**
 * Australian landlines by their area digit: 2 New South Wales and the ACT,
 * 3 Victoria and Tasmania, 7 Queensland (no daylight saving). 8 spans three
 * zones (Perth, Adelaide, Darwin) and 4 is mobile, so both fall back.
 */
const AUSTRALIAN_ZONES: Record<string, string> = {
  "2": "Australia/Sydney",
  "3": "Australia/Melbourne",
  "7": "Australia/Brisbane",
};

/** Canary Islands landlines (922/928, 822/828) sit an hour behind Madrid; Spanish mobiles do not say. */
const CANARY_PREFIXES = ["822", "828", "922", "928"];

/** The zone a number most likely sits in, or `fallbackZone` when the number does not say. */
export function recipientZone(e164: string, fallbackZone: string): RecipientZone {
  const fallback: RecipientZone = { zone: fallbackZone, from: "fallback" };
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed?.isPossible()) return fallback;
  const national = parsed.nationalNumber;

  // By area code before country: an area code newer than the installed metadata still has its place here.
  if (parsed.countryCallingCode === "1") {
    const zone = ZONE_BY_AREA_CODE.get(national.slice(0, 3));
    if (zone) return { zone, from: "area-code" };
  }
  if (parsed.country === "AU") {
    const zone = AUSTRALIAN_ZONES[national.slice(0, 1)];
    return zone ? { zone, from: "area-code" } : fallback;
  }
  if (parsed.country === "ES" && CANARY_PREFIXES.includes(national.slice(0, 3))) {
    return { zone: "Atlantic/Canary", from: "area-code" };
  }
  const zone = parsed.country ? COUNTRY_ZONES[parsed.country] : undefined;
  return zone ? { zone, from: "country" } : fallback;
}

/** Every zone this module can answer with; the tests check each is a zone the runtime knows. */
export const KNOWN_ZONES: readonly string[] = [
  ...new Set([
    ...ZONE_BY_AREA_CODE.values(),
    ...Object.values(COUNTRY_ZONES),
    ...Object.values(AUSTRALIAN_ZONES),
    "Atlantic/Canary",
  ]),
];

export type Weekday = "sun" | "mon" | "tue" | "wed" | "thu" | "fri" | "sat";

export interface LocalClock {
  hour: number;
  minute: number;
  weekday: Weekday;
}

interface LocalParts extends LocalClock {
  year: number;
  month: number;
  day: number;
  second: number;
}

/** Formatters are costly to build and the same few zones recur, so keep one per zone. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(at: Date, zone: string): LocalParts {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      weekday: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    // Some engines have written midnight as "24" even under h23.
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: String(parts.weekday).toLowerCase().slice(0, 3) as Weekday,
  };
}

/** The wall clock in `zone` at `at`. */
export function localHourMinute(at: Date, zone: string): LocalClock {
  const { hour, minute, weekday } = localParts(at, zone);
  return { hour, minute, weekday };
}

/** How far `zone`'s wall clock is ahead of UTC at `instant` (ms since the epoch), in ms. */
function offsetAt(instant: number, zone: string): number {
  const p = localParts(new Date(instant), zone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The instants on one local date at which the clock in `zone` reads hh:mm,
 * earliest first: usually one; two on the day clocks go back; on the day
 * clocks jump over hh:mm, the instant of the jump — the first moment the clock
 * reads hh:mm or later.
 */
function instantsOfLocalTime(zone: string, year: number, month: number, day: number, hh: number, mm: number) {
  const wall = Date.UTC(year, month - 1, day, hh, mm);
  // Zones change offset at most once a day, so the offsets a day either side are the only two candidates.
  const before = offsetAt(wall - 86_400_000, zone);
  const after = offsetAt(wall + 86_400_000, zone);
  const exact = [...new Set([before, after])]
    .map((offset) => wall - offset)
    .filter((instant) => offsetAt(instant, zone) === wall - instant)
    .sort((a, b) => a - b);
  if (exact.length > 0) return exact;
  // In the gap: search for the minute the offset changes, between the two readings of hh:mm.
  let low = wall - after; // still on the old offset, reads earlier than hh:mm
  let high = wall - before; // already on the new offset, reads later than hh:mm
  while (high - low > 60_000) {
    const middle = low + Math.floor((high - low) / 120_000) * 60_000;
    if (offsetAt(middle, zone) === before) low = middle;
    else high = middle;
  }
  return [high];
}

/**
 * The next instant, at or after `at`, at which the wall clock in `zone` reads
 * hh:mm — daylight-saving safe: on a day clocks go back the earlier of the two
 * readings still ahead is taken, and on a day clocks skip hh:mm the moment of
 * the jump is.
 */
export function nextLocalTime(at: Date, zone: string, hh: number, mm: number): Date {
  if (!Number.isInteger(hh) || hh < 0 || hh > 23 || !Number.isInteger(mm) || mm < 0 || mm > 59) {
    throw new RangeError(`not a wall-clock time: ${hh}:${mm}`);
  }
  const today = localParts(at, zone);
  for (let days = 0; days <= 2; days++) {
    // Date.UTC rolls day 32 into the next month, so adding days to the local date is safe.
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + days));
    const instants = instantsOfLocalTime(
      zone,
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      hh,
      mm,
    );
    const next = instants.find((instant) => instant >= at.getTime());
    if (next !== undefined) return new Date(next);
  }
  // Unreachable for real zones: tomorrow's hh:mm always lies ahead.
  throw new Error(`no ${hh}:${mm} ahead in ${zone}`);
}
