import type { DAYS, SpeedToLeadSettings } from "./settings";

interface LocalTime {
  day: (typeof DAYS)[number];
  minutes: number;
}

function localTime(at: Date, timeZone: string): LocalTime {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const day = get("weekday").toLowerCase().slice(0, 3) as LocalTime["day"];
  return { day, minutes: Number(get("hour")) * 60 + Number(get("minute")) };
}

const toMinutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** Open now in the project's own time zone. No hours configured means always open. */
export function isOpen(settings: Pick<SpeedToLeadSettings, "timezone" | "businessHours">, at: Date): boolean {
  if (!settings.businessHours) return true;
  const { day, minutes } = localTime(at, settings.timezone);
  return (settings.businessHours[day] ?? []).some(
    ([from, to]) => minutes >= toMinutes(from) && minutes < toMinutes(to),
  );
}

/**
 * The next moment the business opens, searched minute-accurately over the
 * coming week (time-zone and daylight-saving safe because each candidate is
 * checked with isOpen). Undefined when no hours are ever open.
 */
export function nextOpening(
  settings: Pick<SpeedToLeadSettings, "timezone" | "businessHours">,
  at: Date,
): Date | undefined {
  if (isOpen(settings, at)) return at;
  const step = 15 * 60_000;
  const start = Math.ceil(at.getTime() / step) * step;
  for (let t = start; t <= at.getTime() + 8 * 86_400_000; t += step) {
    if (isOpen(settings, new Date(t))) {
      // Narrow the 15-minute step down to the minute.
      let exact = t;
      while (exact - 60_000 > at.getTime() && isOpen(settings, new Date(exact - 60_000))) exact -= 60_000;
      return new Date(exact);
    }
  }
  return undefined;
}
