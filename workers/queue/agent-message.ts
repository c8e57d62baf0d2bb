import { z } from "zod";

/** Every message on the AGENTS queue. Validated on the way out (`sendAgentMessages`) and on the way in. */
export const agentMessage = z.object({
  task: z.string().min(1),
  tenantId: z.uuid(),
  ticketId: z.uuid().optional(),
  params: z.unknown().default({}),
  enqueuedAt: z.number().int().optional(),
});

export type AgentMessage = z.infer<typeof agentMessage>;
