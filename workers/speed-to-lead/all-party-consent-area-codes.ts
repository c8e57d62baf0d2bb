/**
 * US area codes of the states where recording a phone call may need every
 * party's consent, for speed-to-lead/disclosure.ts.
 *
 * Which states: the eleven that every survey lists as all-party (CA, DE, FL,
 * IL, MD, MA, MT, NV, NH, PA, WA), plus the four the surveys disagree on —
 * Connecticut (all-party for civil liability unless a warning is given),
 * Michigan (courts split on whether a participant may record), Oregon
 * (all-party for in-person talk) and Vermont (no statute at all). Sources,
 * checked December 2026: metaverse.law, "Two-Party Consent Requirements for
 * Recording Calls" (statute by statute, https://www.metaverse.law/2022/10/11/two-party-consent-requirements-for-recording-calls/)
 * and recordphonecall.com's one-party vs all-party quick reference (with each
 * controlling statute, https://recordphonecall.com/resources/one-party-vs-all-party/).
 *
 * The trade: a disputed state in the list costs its callers a sentence; one
 * missing costs a recording made without consent. So the list leans wide, and
 * so does the table: overlay codes announced but not yet in service are in
 * already (a code that never comes is harmless). The codes are NANPA's
 * assignments as the state commissions' and NANPA's overlay notices give them;
 * a new overlay must be added here when it is announced.
 */
export const ALL_PARTY_CONSENT_AREA_CODES: Readonly<Record<string, string>> = {
  CA: "209 213 279 310 323 341 350 357 369 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 707 714 738 747 760 805 818 820 831 837 840 858 909 916 925 949 951",
  CT: "203 475 860 959",
  DE: "302",
  FL: "239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 813 850 863 904 941 954",
  IL: "217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 861 872",
  MD: "227 240 301 410 443 667",
  MA: "339 351 413 508 617 774 781 857 978",
  MI: "231 248 269 313 517 586 616 679 734 810 906 947 989",
  MT: "406",
  NV: "702 725 775",
  NH: "603",
  OR: "458 503 541 971",
  PA: "215 223 267 272 412 445 484 570 582 610 717 724 814 835 878",
  VT: "802",
  WA: "206 253 360 425 509 564",
};

/** Every code above, for a lookup by the three digits after +1. */
export const allPartyConsentAreaCodes: ReadonlySet<string> = new Set(
  Object.values(ALL_PARTY_CONSENT_AREA_CODES).flatMap((codes) => codes.split(" ")),
);
