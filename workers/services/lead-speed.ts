import type { Entity } from "./entities";
import { callSystem, leadSystem } from "./entity-system";

export interface LeadSpeed {
  /** Seconds from the first intake to the first Twilio status of a bridge call; null until one is dialled. */
  dialledAfterSeconds: number | null;
  /** Seconds from the first intake to the owner pressing 1 (`connecting-customer`); null until then. */
  connectedAfterSeconds: number | null;
  targetSeconds: number;
  /** The owner's phone was dialled later than the target allows. */
  slow: boolean;
}

/**
 * One lead's speed-to-lead, by the same clock as the dashboard's figures
 * (repositories/speed-to-lead-figures.ts): from `system.receivedAt` (else
 * when the lead was made) to the earliest step across its bridge calls.
 *
 * The target is the project's `connectTargetSeconds`: settings carry no
 * separate dial target, and a lead whose phone was not even dialled within the
 * time allowed to connect it has missed that target already. A lead nobody
 * has dialled yet is not flagged: it may be waiting on quiet hours or have no
 * phone, and the page says "No calls yet" for it.
 */
export function leadSpeed(
  lead: Pick<Entity, "id" | "createdAt" | "system">,
  calls: Pick<Entity, "system">[],
  targetSeconds: number,
): LeadSpeed {
  const intake = Date.parse(leadSystem(lead).receivedAt ?? lead.createdAt);
  const first = (statuses: string[]) => {
    const times = calls
      .map(callSystem)
      .filter((state) => state.kind === "bridge" && state.leadId === lead.id)
      .flatMap((state) => state.timeline ?? [])
      .filter((step) => statuses.includes(step.status))
      .map((step) => Date.parse(step.at))
      .filter((at) => !Number.isNaN(at));
    return times.length === 0 ? null : Math.round((Math.min(...times) - intake) / 100) / 10;
  };
  const dialledAfterSeconds = first(["initiated", "ringing"]);
  return {
    dialledAfterSeconds,
    connectedAfterSeconds: first(["connecting-customer"]),
    targetSeconds,
    slow: dialledAfterSeconds !== null && dialledAfterSeconds > targetSeconds,
  };
}
