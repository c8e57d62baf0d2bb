import { forbiddenChannels } from "../../durable-objects/capabilities/channel-access";
import { CHANNEL_PATTERN, type TenantEvent } from "../../durable-objects/capabilities/events";
import type { PendingEvent } from "../../durable-objects/tenant";
import { Problem, problems } from "../problems";
import type { ServiceContext } from "../service-context";
import type { Entity } from "./entities";

/** Puts an event on the tenant's log; entity services call it after their transaction commits. */
export type Publisher = (channel: string, type: string, data: unknown) => Promise<void>;

/**
 * A request's events, held until its write settles: the idempotency ledger
 * completes with them in one object call, or they go out together when the
 * request ends (middleware/services.ts). Agents and pages publish at once.
 */
export class PendingEvents {
  private events: PendingEvent[] = [];

  readonly publish: Publisher = async (channel, type, data) => {
    this.events.push({ channel, type, dataJson: JSON.stringify(data) });
  };

  /** The events held so far, in order; the buffer is empty afterwards. */
  drain(): PendingEvent[] {
    const drained = this.events;
    this.events = [];
    return drained;
  }
}

export function publisherFor(env: Env, tenantId: string): Publisher {
  const tenant = env.TENANT.getByName(tenantId);
  return async (channel, type, data) => {
    await tenant.publish(channel, type, JSON.stringify(data));
  };
}

/** Audit actions are imperative (`entity.update`); events say what happened (`entity.updated`). */
const EVENT_OF_ACTION: Record<string, string> = {
  "entity.create": "entity.created",
  "entity.update": "entity.updated",
  "entity.delete": "entity.deleted",
  "entity.restore": "entity.restored",
  "entity.snapshot_restore": "entity.restored",
};

/** An entity change goes to `entity:{type}` and `entity:{id}`. */
export async function publishEntityChange(
  publish: Publisher | undefined,
  action: string,
  entity: Entity,
): Promise<void> {
  if (!publish) return;
  const type = EVENT_OF_ACTION[action] ?? action;
  await publish(`entity:${entity.type}`, type, entity);
  await publish(`entity:${entity.id}`, type, entity);
}

interface PolledEvent extends Omit<TenantEvent, "dataJson"> {
  data: unknown;
}

export async function pollEvents(
  query: { channels: string; cursor: number; waitSeconds: number },
  { env, actor }: Pick<ServiceContext, "env" | "actor">,
): Promise<{ events: PolledEvent[]; cursor: number; gap: boolean }> {
  const channels = query.channels
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  const bad = channels.find((c) => !CHANNEL_PATTERN.test(c));
  if (channels.length === 0 || channels.length > 20 || bad) {
    throw problems.validation([
      { field: "channels", message: bad ? `${bad} is not a channel` : "1–20 channels, comma-separated" },
    ]);
  }
  const refused = forbiddenChannels(actor.auth.role, channels);
  if (refused.length > 0) {
    throw new Problem({
      status: 403,
      code: "forbidden",
      title: "Forbidden",
      detail: `A ${actor.auth.role} may not listen on ${refused.join(", ")}.`,
      errors: [{ field: "channels", message: `${refused.join(", ")}: your role may not listen here` }],
    });
  }
  const page = await env.TENANT.getByName(actor.auth.tenantId).poll(query.cursor, channels, query.waitSeconds * 1000);
  return {
    events: page.events.map(({ dataJson, ...event }) => ({ ...event, data: JSON.parse(dataJson) })),
    cursor: page.cursor,
    gap: page.gap,
  };
}
