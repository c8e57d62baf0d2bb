import type { z } from "zod";
import type { Role } from "../context";
import type { Logger } from "../logger";

/** What an agent receives besides its params. */
export interface AgentContext {
  env: Env;
  tenantId: string;
  /** Stable across redeliveries and retries: the base of idempotency keys for external actions. */
  runId: string;
  /** The ticket this run reports to; absent for instant tasks and bare queue messages. */
  ticketId?: string;
  log: Logger;
  /** 0–100 and a human message; a no-op for instant tasks. */
  reportProgress(progress: number, message: string): Promise<void>;
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * `instant` tasks answer the request that asked for them (SPEC §5: stats,
 * health, usage writes); `heavy` ones answer 202 with a ticket and run from
 * the queue.
 */
export interface Agent<Schema extends z.ZodType = z.ZodType> {
  task: string;
  mode: "instant" | "heavy";
  /** The least role that may start this task. */
  role: Role;
  params: Schema;
  run(params: z.infer<Schema>, context: AgentContext): Promise<unknown>;
}

export function defineAgent<Schema extends z.ZodType>(agent: Agent<Schema>): Agent<Schema> {
  return agent;
}
