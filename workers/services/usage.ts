import type { SpendState } from "../../durable-objects/capabilities/spend";
import { withTenant } from "../../schema/tenant-transaction";
import { problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import {
  insertUsageEvent,
  projectSpendFacts,
  setProjectCap,
  setProjectSpendStatus,
  type UsageEventRow,
  usageByResource,
  usageEventByKey,
} from "../repositories/usage";
import type { ServiceContext } from "../service-context";
import { costMicros, microsToUsd, monthOf, PRICES, type Resource, usdToMicros } from "../usage/prices";
import { earlierEffect, recordEffect } from "./idempotent-effects";
import { publisherFor } from "./realtime";
import { alertOwner } from "./spend-alerts";

/** Spending may pause or resume a project, which is announced with `publish` (or the tenant's own publisher). */
type SpendContext = Pick<ServiceContext, "env" | "db" | "actor"> & Partial<Pick<ServiceContext, "publish">>;

interface UsageInput {
  projectId: string;
  resource: Resource;
  quantity: number;
  /** What spent it: a task name, or `api`. */
  source: string;
  reference?: string | undefined;
  /** The same key twice records one use (a retried agent never bills twice). */
  idempotencyKey?: string | undefined;
}

interface UsageRecord {
  id: string;
  projectId: string;
  resource: string;
  unit: string;
  quantity: number;
  costUsd: number;
  source: string;
  reference: string | null;
  occurredAt: string;
  /** True when this key was recorded before and nothing new was spent. */
  replayed: boolean;
}

export interface SpendSummary {
  projectId: string;
  month: string;
  status: "active" | "paused";
  spentUsd: number;
  capUsd: number | null;
}

const toRecord = (row: UsageEventRow, replayed: boolean): UsageRecord => ({
  id: row.id,
  projectId: row.projectId,
  resource: row.resource,
  unit: PRICES[row.resource as Resource]?.unit ?? "unit",
  quantity: row.quantity,
  costUsd: microsToUsd(row.costMicros),
  source: row.source,
  reference: row.reference,
  occurredAt: row.occurredAt.toISOString(),
  replayed,
});

const summary = (projectId: string, month: string, state: SpendState): SpendSummary => ({
  projectId,
  month,
  status: state.paused ? "paused" : "active",
  spentUsd: microsToUsd(state.totalMicros),
  capUsd: state.capMicros === null ? null : microsToUsd(state.capMicros),
});

/**
 * Seeds the tenant object's running total from Postgres the first time a
 * project spends in a month. Also the moment a project that was paused last
 * month becomes active again in Postgres.
 */
async function seedFromPostgres(
  projectId: string,
  month: string,
  { env, db, actor }: SpendContext,
): Promise<SpendState> {
  const facts = await withTenant(db, actor.auth.tenantId, async (tx) => {
    const found = await projectSpendFacts(tx, projectId, month);
    if (!found) return undefined;
    const paused = found.capMicros !== null && found.totalMicros >= found.capMicros;
    if ((found.spendStatus === "paused") !== paused) {
      await setProjectSpendStatus(tx, projectId, paused ? "paused" : "active");
    }
    return found;
  });
  if (!facts) throw problems.notFound(`No project ${projectId}.`);
  return env.TENANT.getByName(actor.auth.tenantId).seedSpend(projectId, month, facts.totalMicros, facts.capMicros);
}

/**
 * A project's month so far: the tenant object's running total, with no
 * Postgres query once seeded. The spend gate (services/spend-gate.ts) decides from it.
 */
export async function spendState(projectId: string, month: string, context: SpendContext): Promise<SpendState> {
  return (
    (await context.env.TENANT.getByName(context.actor.auth.tenantId).spendState(projectId, month)) ??
    (await seedFromPostgres(projectId, month, context))
  );
}

/**
 * Records one billable use that happened — always, cap or no cap: whether to
 * spend was the spend gate's question, asked before spending. The tenant
 * object adds the cost to the month's running total first, then the row is
 * written; if the write does not happen the amount is given back. The use
 * that reaches the cap pauses the project, and crossing 80 % or 100 % of the
 * cap alerts the owner (once each per month).
 */
export async function recordUsage(input: UsageInput, context: SpendContext): Promise<UsageRecord> {
  const { env, db, actor } = context;
  const tenantId = actor.auth.tenantId;
  const tenant = env.TENANT.getByName(tenantId);
  if (input.idempotencyKey) {
    const key = input.idempotencyKey;
    const existing = await withTenant(db, tenantId, (tx) => usageEventByKey(tx, key));
    if (existing) return toRecord(existing, true);
  }
  const month = monthOf(Date.now());
  const cost = costMicros(input.resource, input.quantity);
  let reservation = await tenant.reserveSpend(input.projectId, month, cost);
  if (reservation.outcome === "unknown") {
    await seedFromPostgres(input.projectId, month, context);
    reservation = await tenant.reserveSpend(input.projectId, month, cost);
  }
  if (reservation.outcome === "unknown") throw new Error("spend row missing right after seeding");
  const { crossedCap, alert } = reservation;

  let written: { row: UsageEventRow; replayed: boolean };
  try {
    written = await withTenant(db, tenantId, async (tx) => {
      const row = await insertUsageEvent(tx, {
        tenantId,
        projectId: input.projectId,
        resource: input.resource,
        quantity: input.quantity,
        unitCostMicros: PRICES[input.resource].microsPerUnit,
        costMicros: cost,
        source: input.source,
        reference: input.reference ?? null,
        idempotencyKey: input.idempotencyKey ?? null,
      });
      if (!row) {
        // A concurrent call with the same key won the insert.
        const existing = await usageEventByKey(tx, input.idempotencyKey ?? "");
        if (!existing) throw new Error("usage insert conflicted but no row holds the key");
        return { row: existing, replayed: true };
      }
      await recordAudit(tx, actor, {
        action: "usage.recorded",
        entityType: "usage_event",
        after: toRecord(row, false),
      });
      if (crossedCap) {
        await setProjectSpendStatus(tx, input.projectId, "paused");
        await recordAudit(tx, actor, {
          action: "project.paused",
          entityType: "project",
          entityId: input.projectId,
          after: summary(input.projectId, month, reservation),
        });
      }
      return { row, replayed: false };
    });
  } catch (error) {
    await tenant.releaseSpend(input.projectId, month, cost);
    throw error;
  }
  if (written.replayed) {
    await tenant.releaseSpend(input.projectId, month, cost);
    return toRecord(written.row, true);
  }
  if (crossedCap) {
    const publish = context.publish ?? publisherFor(env, tenantId);
    await publish(`project:${input.projectId}`, "project.paused", summary(input.projectId, month, reservation));
  }
  if (alert) {
    // The spend is recorded either way; an alert that fails to go out is logged, never the caller's failure.
    await alertOwner({ ...summary(input.projectId, month, reservation), percent: alert }, context).catch((error) =>
      console.error(
        JSON.stringify({
          level: "error",
          msg: "spend alert not sent",
          projectId: input.projectId,
          error: String(error),
        }),
      ),
    );
  }
  return toRecord(written.row, false);
}

/** What the tenant object and the announcement need from the cap's Postgres half: the month's spend, the status before. */
interface SpendChange {
  totalMicros: number;
  spendStatus: string;
}

/** Sets (or, with null, removes) a project's monthly cap; a cap above the month's spend resumes it. */
export async function setSpendCap(
  projectId: string,
  capUsd: number | null,
  context: SpendContext & Partial<Pick<ServiceContext, "idempotency">>,
): Promise<SpendSummary> {
  const { env, db, actor, idempotency } = context;
  const month = monthOf(Date.now());
  const capMicros = capUsd === null ? null : usdToMicros(capUsd);
  const change = await withTenant(db, actor.auth.tenantId, async (tx) => {
    // On a replay only Postgres is skipped: the tenant object's cap below is set again,
    // as the first attempt may have died before setting it (the same cap twice is one cap).
    const earlier = await earlierEffect<SpendChange>(tx, idempotency);
    if (earlier) return earlier;
    const facts = await projectSpendFacts(tx, projectId, month);
    if (!facts) return undefined;
    const paused = capMicros !== null && facts.totalMicros >= capMicros;
    await setProjectCap(tx, projectId, capMicros, paused ? "paused" : "active");
    await recordAudit(tx, actor, {
      action: "project.spend_cap.set",
      entityType: "project",
      entityId: projectId,
      before: { capUsd: facts.capMicros === null ? null : microsToUsd(facts.capMicros), status: facts.spendStatus },
      after: { capUsd, status: paused ? "paused" : "active" },
    });
    const recorded: SpendChange = { totalMicros: facts.totalMicros, spendStatus: facts.spendStatus };
    await recordEffect(tx, actor.auth.tenantId, idempotency, recorded);
    return recorded;
  });
  if (!change) throw problems.notFound(`No project ${projectId}.`);
  const state = await env.TENANT.getByName(actor.auth.tenantId).setSpendCap(
    projectId,
    month,
    capMicros,
    change.totalMicros,
  );
  const after = summary(projectId, month, state);
  if ((change.spendStatus === "paused") !== state.paused) {
    const publish = context.publish ?? publisherFor(env, actor.auth.tenantId);
    await publish(`project:${projectId}`, state.paused ? "project.paused" : "project.resumed", after);
  }
  return after;
}

/** The month's spend per resource, computed in Postgres, with the cap and status. */
export async function usageReport(
  projectId: string,
  month: string,
  { db, actor }: Pick<ServiceContext, "db" | "actor">,
) {
  const report = await withTenant(db, actor.auth.tenantId, async (tx) => {
    const facts = await projectSpendFacts(tx, projectId, month);
    if (!facts) return undefined;
    return { facts, resources: await usageByResource(tx, projectId, month) };
  });
  if (!report) throw problems.notFound(`No project ${projectId}.`);
  const { facts, resources } = report;
  return {
    projectId,
    month,
    status: facts.spendStatus as "active" | "paused",
    spentUsd: microsToUsd(facts.totalMicros),
    capUsd: facts.capMicros === null ? null : microsToUsd(facts.capMicros),
    resources: resources.map((r) => ({
      resource: r.resource,
      unit: PRICES[r.resource as Resource]?.unit ?? "unit",
      quantity: r.quantity,
      uses: r.uses,
      costUsd: microsToUsd(r.costMicros),
    })),
  };
}
