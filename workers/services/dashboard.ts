import { withTenant } from "../../schema/tenant-transaction";
import { PLATFORMS } from "../hunter/platforms";
import type { HunterPlatform } from "../hunter/settings";
import { listHuntedLeads } from "../repositories/hunted-leads";
import { type SpeedFigureRow, speedToLeadFigures } from "../repositories/speed-to-lead-figures";
import { seoStats } from "../seo/overview";
import type { ServiceContext } from "../service-context";
import { MISSED } from "../speed-to-lead/call-state";
import { monthOf } from "../usage/prices";
import { type Entity, listEntityPage } from "./entities";
import { callSystem, leadSystem } from "./entity-system";
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

type Figures = Omit<SpeedFigureRow, "span" | "source">;

const round = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);

function figures(row: SpeedFigureRow | undefined): Figures {
  return {
    leads: row?.leads ?? 0,
    dialled: row?.dialled ?? 0,
    connected: row?.connected ?? 0,
    dialledMedianSeconds: round(row?.dialledMedianSeconds ?? null),
    dialledP90Seconds: round(row?.dialledP90Seconds ?? null),
    connectedMedianSeconds: round(row?.connectedMedianSeconds ?? null),
    connectedP90Seconds: round(row?.connectedP90Seconds ?? null),
  };
}

/** One window's figures: every source together, and each source alone. */
function speedWindow(rows: SpeedFigureRow[], span: SpeedFigureRow["span"]) {
  const inSpan = rows.filter((r) => r.span === span);
  const bySource: Record<string, Figures> = {};
  for (const row of inSpan) if (row.source !== null) bySource[row.source] = figures(row);
  return { all: figures(inSpan.find((r) => r.source === null)), bySource };
}

const HUNT_ALERT_WINDOW_MS = 24 * 60 * 60 * 1000;
const HUNT_ALERTS_SHOWN = 5;
/** An alert follows its lead's hunt within minutes, so the newest hunted leads hold the day's alerts. */
const HUNTED_LEADS_READ = 200;

/** The hunted leads the owner was alerted about in the last 24 hours, newest alert first: the dashboard's cards. */
async function huntAlerts(projectId: string, now: Date, context: Pick<ServiceContext, "db" | "actor">) {
  const since = now.getTime() - HUNT_ALERT_WINDOW_MS;
  const rows = await withTenant(context.db, context.actor.auth.tenantId, (tx) =>
    listHuntedLeads(tx, projectId, HUNTED_LEADS_READ),
  );
  return rows
    .flatMap((row) => {
      const hunt = leadSystem({ system: (row.system ?? {}) as Record<string, unknown> }).hunt;
      const alertedAt = hunt?.alertedAt ? Date.parse(hunt.alertedAt) : Number.NaN;
      if (!hunt || !(alertedAt >= since)) return [];
      return [
        {
          id: row.id,
          title: row.name,
          platform: PLATFORMS[hunt.platform as HunterPlatform]?.label ?? hunt.platform,
          place: hunt.place ?? null,
          alertedAt: new Date(alertedAt).toISOString(),
        },
      ];
    })
    .sort((a, b) => b.alertedAt.localeCompare(a.alertedAt))
    .slice(0, HUNT_ALERTS_SHOWN);
}

/**
 * The numbers on the operator dashboard, computed from the same
 * entities and ledger the API serves: today's leads by source, calls answered
 * and missed, speed-to-lead (intake → owner dialled → customer connected) as
 * median and p90 seconds over the last 24 hours and 30 days, overall and per
 * source (summed in Postgres: repositories/speed-to-lead-figures.ts), and the
 * month's spend against the cap, the hunter's alerts of the last 24 hours,
 * and the Local SEO pages by status (seo/overview.ts, `manager`'s numbers).
 * With `projectId`, all of it is that project's alone (the web app's chosen
 * project); without, leads and calls are the tenant's and the spend and
 * hunt alerts and SEO pages are its first active project's.
 */
export async function dashboard(
  context: Pick<ServiceContext, "db" | "actor">,
  { projectId, now = new Date() }: { projectId?: string | undefined; now?: Date } = {},
) {
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const [leads, calls, projects, speed] = await Promise.all([
    all("lead", since, projectId, context),
    all("call", since, projectId, context),
    projectId ? [] : listProjects(context),
    withTenant(context.db, context.actor.auth.tenantId, (tx) => speedToLeadFigures(tx, { projectId, now })),
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
  const spentBy = projectId ?? projects[0]?.id;
  const [spend, alerts, seo] = await Promise.all([
    spentBy ? usageReport(spentBy, monthOf(now), context) : null,
    spentBy ? huntAlerts(spentBy, now, context) : [],
    spentBy ? seoStats(spentBy, context) : null,
  ]);
  return {
    date: since.toISOString().slice(0, 10),
    leadsToday: leads.length,
    bySource,
    calls: { total: calls.length, answered, missed },
    speedToLead: { last24Hours: speedWindow(speed, "24h"), last30Days: speedWindow(speed, "30d") },
    spend: spend
      ? { projectId: spend.projectId, spentUsd: spend.spentUsd, capUsd: spend.capUsd, status: spend.status }
      : null,
    huntAlerts: alerts,
    seo: seo ? { projectId: seo.projectId, pages: seo.pages, byStatus: seo.byStatus } : null,
  };
}
