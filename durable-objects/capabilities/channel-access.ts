import { ROLE_RANK } from "../../workers/auth/roles";
import type { Role } from "../../workers/context";

/**
 * Who may listen on which channel: the one table for the WebSocket and the
 * long-poll alike. A channel carries what its API carries, so each kind asks
 * for the role that may read the same data through the API: endpoint health
 * (`webhook:*`, with endpoint URLs) is admin data like GET /webhook-endpoints;
 * spend pauses (`project:*`) are member data like GET /projects/{id}/usage.
 */
const CHANNEL_LEAST_ROLE: ReadonlyMap<string, Role> = new Map([
  ["ticket", "viewer"],
  ["entity", "viewer"],
  ["lead", "viewer"],
  ["call", "member"],
  ["project", "member"],
  ["webhook", "admin"],
]);

/** The channels of `channels` that `role` may not subscribe to (an unknown kind is refused: fail closed). */
export function forbiddenChannels(role: Role, channels: readonly string[]): string[] {
  return channels.filter((channel) => {
    const least = CHANNEL_LEAST_ROLE.get(channel.slice(0, channel.indexOf(":")));
    return !least || ROLE_RANK[role] < ROLE_RANK[least];
  });
}
