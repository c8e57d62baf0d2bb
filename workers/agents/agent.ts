import type { z } from "zod";
import type { Database } from "../../schema/db";
import type { RequestActor, Role } from "../context";
import type { Logger } from "../logger";
import type { SpendKind } from "../services/spend-gate";

/** What an agent receives besides its params. */
export interface AgentContext {
  env: Env;
  tenantId: string;
  /** Who the work is for: the caller of an instant task, the system for queued ones. Audited. */
  actor: RequestActor;
  /** Postgres, opened on first use and closed when the run ends. */
  db(): Database;
  /** Stable across redeliveries and retries: the base of idempotency keys for external actions. */
  runId: string;
  /** The ticket this run reports to; absent for instant tasks and bare queue messages. */
  ticketId?: string;
  log: Logger;
  /**
   * 0–100 and a human message; a no-op for instant tasks. Answers false when
   * the ticket is no longer this run's to work on (cancelled, or taken over
   * after a lost lease): a long run should stop there.
   */
  reportProgress(progress: number, message: string): Promise<boolean>;
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * `instant` tasks answer the request that asked for them (stats, health,
 * usage writes); `heavy` ones answer 202 with a ticket and run from
 * the queue.
 */
export interface Agent<Schema extends z.ZodType = z.ZodType> {
  task: string;
  mode: "instant" | "heavy";
  /** The least role that may start this task. */
  role: Role;
  /** Started only by Apex itself (from the queue), never through POST /api/v1/tasks. */
  internal?: boolean;
  params: Schema;
  /**
   * Agents whose whole run is one kind of spend name the project they bill and
   * the kind: the spend gate is asked when the task is started (a refusal is a
   * 402). Agents whose steps differ (the bridge: owner's setting; scoring:
   * optional AI) ask the gate step by step instead.
   */
  spends?: (params: z.infer<Schema>) => { projectId: string; kind: SpendKind };
  /**
   * Heavy tasks that must not run twice at once for the same thing (a
   * project's hunt): the key; a start while one is queued or running joins
   * that ticket instead of making another.
   */
  runsAlone?: (params: z.infer<Schema>) => string;
  /** Checked when a person starts the task, before any ticket exists: a refusal (4xx) answers them. */
  check?: (params: z.infer<Schema>, context: { db: Database; actor: RequestActor }) => Promise<void>;
  run(params: z.infer<Schema>, context: AgentContext): Promise<unknown>;
}

export function defineAgent<Schema extends z.ZodType>(agent: Agent<Schema>): Agent<Schema> {
  return agent;
}
