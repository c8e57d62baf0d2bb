import { describe, expect, it } from "vitest";
import { inHuntWindow, nextHuntAt } from "./schedule";

const weekdays = { everyMinutes: 30, days: ["mon", "tue", "wed", "thu", "fri"] as const, from: "08:00", to: "18:00" };
const schedule = { ...weekdays, days: [...weekdays.days] };

describe("the hunter's schedule", () => {
  it("is in its window on a weekday afternoon in the project's zone", () => {
    // Tuesday 2026-12-01 14:00 in Chicago is 20:00 UTC.
    expect(inHuntWindow(schedule, "America/Chicago", new Date("2026-12-01T20:00:00Z"))).toBe(true);
  });

  it("is out of its window at night and on a weekend", () => {
    expect(inHuntWindow(schedule, "America/Chicago", new Date("2026-12-02T04:00:00Z"))).toBe(false);
    expect(inHuntWindow(schedule, "America/Chicago", new Date("2026-12-05T18:00:00Z"))).toBe(false);
  });

  it("runs again every 30 minutes inside the window", () => {
    const next = nextHuntAt(schedule, "America/Chicago", new Date("2026-12-01T20:00:00Z"));
    expect(next?.toISOString()).toBe("2026-12-01T20:30:00.000Z");
  });

  it("waits for the next morning's opening after the window closes", () => {
    // Tuesday 17:45 Chicago → Wednesday 08:00 Chicago (14:00 UTC).
    const next = nextHuntAt(schedule, "America/Chicago", new Date("2026-12-01T23:45:00Z"));
    expect(next?.toISOString()).toBe("2026-12-02T14:00:00.000Z");
  });

  it("has no next run when no day is chosen", () => {
    expect(nextHuntAt({ ...schedule, days: [] }, "UTC", new Date())).toBeUndefined();
  });
});
