import { z } from "zod";
import { CHANNEL_PATTERN, matches, type TenantEvent } from "./events";

/**
 * WebSocket channels held by the tenant object with the hibernation API: the
 * object may be evicted while sockets stay open; each socket's subscriptions
 * live in its serialized attachment, not in memory.
 */
export const clientFrame = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("subscribe"),
    channels: z.array(z.string().regex(CHANNEL_PATTERN)).min(1).max(20),
    /** Resume: also send the logged events after this sequence. */
    cursor: z.number().int().min(0).optional(),
  }),
  z.object({ type: z.literal("unsubscribe"), channels: z.array(z.string()).max(20) }),
  z.object({ type: z.literal("ping") }),
]);
export type ClientFrame = z.infer<typeof clientFrame>;

export const socketAttachment = z.object({ channels: z.array(z.string()) });

export function channelsOf(socket: WebSocket): string[] {
  const parsed = socketAttachment.safeParse(socket.deserializeAttachment());
  return parsed.success ? parsed.data.channels : [];
}

export function eventFrame(event: TenantEvent): string {
  return JSON.stringify({
    type: "event",
    seq: event.seq,
    channel: event.channel,
    event: event.type,
    data: JSON.parse(event.dataJson),
    at: event.at,
  });
}

export function wants(socket: WebSocket, channel: string): boolean {
  return matches(channel, channelsOf(socket));
}
