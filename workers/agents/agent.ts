import type { z } from "zod";
import type { Logger } from "../logger";

/** What a queue-driven agent receives besides its params. */
export interface AgentContext {
  env: Env;
  tenantId: string;
  /** The queue message id: stable across redeliveries, so usable as an idempotency key. */
  messageId: string;
  log: Logger;
}

export interface Agent<Schema extends z.ZodType = z.ZodType> {
  task: string;
  params: Schema;
  run(params: z.infer<Schema>, context: AgentContext): Promise<void>;
}

export function defineAgent<Schema extends z.ZodType>(agent: Agent<Schema>): Agent<Schema> {
  return agent;
}
