/**
 * For tests, the e2e run and the bench, which must not depend on the hour
 * they run at: a time zone where the local hour is now inside [from, to).
 * Campaign texts go only inside the recipient's send window, so a check that
 * wants them sent (or held) picks its project's zone with this.
 */
export const ZONES: readonly string[] = [
  "Pacific/Honolulu",
  "America/Los_Angeles",
  "America/New_York",
  "Europe/London",
  "Asia/Dubai",
  "Asia/Kolkata",
  "Asia/Tokyo",
  "Pacific/Auckland",
];

export const localHour = (at: Date | number, zone: string): number =>
  Number(new Intl.DateTimeFormat("en-US", { timeZone: zone, hour: "numeric", hourCycle: "h23" }).format(at));

/** Their offsets are never more than five hours apart, so any window of six hours or more finds one. */
export function zoneWhereItIs(from: number, to: number, at: Date | number = Date.now()): string {
  const zone = ZONES.find((z) => localHour(at, z) >= from && localHour(at, z) < to);
  if (!zone) throw new Error(`none of ${ZONES.join(", ")} is between ${from}:00 and ${to}:00 now`);
  return zone;
}
