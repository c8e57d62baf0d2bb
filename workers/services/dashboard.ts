import type { ServiceContext } from "../service-context";
import { MISSED } from "../speed-to-lead/call-state";
import { monthOf } from "../usage/prices";
import { type Entity, listEntityPage } from "./entities";
import { callSystem } from "./entity-system";
import { listProjects } from "./projects";
import { usageReport } from "./usage";

async function all(
  type: string,
  since: Date,
  projectId: string | undefined,
  context: Pick<ServiceContext, "db" | "actor">,
): Promise<Entity[]> {
  const items: Entity[] = [];
  let cursor: string | undefined;
  do {
    const page = await listEntityPage({ type, projectId, createdAfter: since, cursor, limit: 200 }, context);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && items.length < 2_000);
  return items;
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

/**
 * The numbers on the operator dashboard, computed from the same
 * entities and ledger the API serves: today's leads by source, calls answered
 * and missed, speed-to-lead (intake → owner dialled → customer connected) as
 * median and p90 seconds, and the month's spend against the cap.
 * With `projectId`, all of it is that project's alone (the web app's chosen
 * project); without, leads and calls are the tenant's and the spend is its
 * first active project's.
 */
export async function dashboard(
  context: Pick<ServiceContext, "db" | "actor">,
  { projectId, now = new Date() }: { projectId?: string | undefined; now?: Date } = {},
) {
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const [leads, calls, projects] = await Promise.all([
    all("lead", since, projectId, context),
    all("call", since, projectId, context),
    projectId ? [] : listProjects(context),
  ]);
  const bySource: Record<string, number> = {};
  for (const lead of leads) {
    const source = String(lead.data.source ?? "manual");
    bySource[source] = (bySource[source] ?? 0) + 1;
  }
  const answered = calls.filter((c) => callSystem(c).connected === true).length;
  const missed = calls.filter(
    (c) => MISSED.has(String(c.status)) || callSystem(c).customerStatus === "no-answer",
  ).length;
  const createdAt = new Map(leads.map((l) => [l.id, Date.parse(l.createdAt)]));
  const toDial: number[] = [];
  const toConnect: number[] = [];
  for (const call of calls) {
    const state = callSystem(call);
    const intake = createdAt.get(String(state.leadId));
    if (state.kind !== "bridge" || intake === undefined) continue;
    const timeline = state.timeline ?? [];
    const at = (status: string) => timeline.find((s) => s.status === status)?.at;
    const dialled = at("initiated") ?? at("ringing");
    const connected = at("connecting-customer");
    if (dialled) toDial.push((Date.parse(dialled) - intake) / 1000);
    if (connected) toConnect.push((Date.parse(connected) - intake) / 1000);
  }
  const spentBy = projectId ?? projects[0]?.id;
  const spend = spentBy ? await usageReport(spentBy, monthOf(now), context) : null;
  const round = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);
  return {
    date: since.toISOString().slice(0, 10),
    leadsToday: leads.length,
    bySource,
    calls: { total: calls.length, answered, missed },
    speedToLead: {
      dialledMedianSeconds: round(percentile(toDial, 50)),
      dialledP90Seconds: round(percentile(toDial, 90)),
      connectedMedianSeconds: round(percentile(toConnect, 50)),
      connectedP90Seconds: round(percentile(toConnect, 90)),
    },
    spend: spend
      ? { projectId: spend.projectId, spentUsd: spend.spentUsd, capUsd: spend.capUsd, status: spend.status }
      : null,
  };
}
