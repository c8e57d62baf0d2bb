import { coreMigrations } from "./capabilities/core";
import { eventMigrations } from "./capabilities/events";
import { ledgerMigrations } from "./capabilities/idempotency-ledger";
import { rateLimitMigrations } from "./capabilities/rate-limits";
import { sessionMigrations } from "./capabilities/sessions";
import { spendMigrations } from "./capabilities/spend";
import { ticketMigrations } from "./capabilities/tickets";
import { wakeUpMigrations } from "./capabilities/wake-ups";
import { webhookOutboxMigrations } from "./capabilities/webhook-outbox";
import { migrationsInOrder } from "./sqlite-migrations";

/**
 * Every migration of the tenant object, in the order objects apply them.
 * Each capability owns its migrations' SQL; this list owns their order.
 * Append-only: a new migration goes at the end, and an object whose applied
 * history is not a prefix of this list refuses to start (sqlite-migrations.ts).
 */
const HISTORY = [
  "core/1",
  "ledger/1",
  "rate-limits/1",
  "tickets/1",
  "events/1",
  "spend/1",
  "webhook-outbox/1",
  "sessions/1",
  "core/2",
  "webhook-outbox/2",
  "tickets/2",
  "spend/2",
  "tickets/3",
  "wake-ups/1",
  "tickets/4",
  "events/2",
];

export const TENANT_MIGRATIONS = migrationsInOrder(HISTORY, [
  coreMigrations,
  ledgerMigrations,
  rateLimitMigrations,
  ticketMigrations,
  eventMigrations,
  spendMigrations,
  webhookOutboxMigrations,
  wakeUpMigrations,
  sessionMigrations,
]);
