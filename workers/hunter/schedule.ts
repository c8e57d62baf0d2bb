import type { ServiceContext } from "../service-context";
import { isOpen, nextOpening } from "../speed-to-lead/business-hours";
import type { LeadHunterSettings } from "./settings";

/** The wake-up that starts a project's scheduled hunts (durable-objects/capabilities/wake-ups.ts). */
export const huntScheduleKey = (projectId: string) => `hunt-schedule:${projectId}`;

/** The schedule as opening hours: every chosen day, from `from` to `to`, in the project's zone. */
function windowOf(schedule: LeadHunterSettings["schedule"], timezone: string) {
  const hours = Object.fromEntries(
    schedule.days.map((day) => [day, [[schedule.from, schedule.to]] as [string, string][]]),
  );
  return { timezone, businessHours: hours };
}

/** Whether a scheduled hunt may run at `at`. */
export function inHuntWindow(schedule: LeadHunterSettings["schedule"], timezone: string, at: Date): boolean {
  return isOpen(windowOf(schedule, timezone), at);
}

/**
 * When the next scheduled hunt is due after one at `after`: `everyMinutes`
 * later if that is inside the window, else when the window next opens;
 * undefined for a schedule with no days.
 */
export function nextHuntAt(schedule: LeadHunterSettings["schedule"], timezone: string, after: Date): Date | undefined {
  if (schedule.days.length === 0) return undefined;
  const next = new Date(after.getTime() + schedule.everyMinutes * 60_000);
  return nextOpening(windowOf(schedule, timezone), next);
}

/**
 * After a DNA change: an enabled hunter's schedule gets (or keeps) a wake-up
 * at its next slot. A disabled one is left to find out at its next wake-up,
 * which then stops itself (one place decides, runScheduledHunt).
 */
export async function armHuntSchedule(
  projectId: string,
  settings: LeadHunterSettings,
  timezone: string,
  { env, actor }: Pick<ServiceContext, "env" | "actor">,
): Promise<void> {
  if (!settings.enabled || settings.keywords.length === 0) return;
  const next = nextHuntAt(settings.schedule, timezone, new Date());
  if (!next) return;
  await env.TENANT.getByName(actor.auth.tenantId).setWakeUp(
    actor.auth.tenantId,
    huntScheduleKey(projectId),
    "hunt_schedule",
    { projectId },
    next.getTime(),
  );
}
