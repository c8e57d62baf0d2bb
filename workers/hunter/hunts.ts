import { withTenant } from "../../schema/tenant-transaction";
import { sha256Hex } from "../auth/encoding";
import { parseId } from "../auth/inputs";
import { problems } from "../problems";
import { listHuntedLeads } from "../repositories/hunted-leads";
import type { ServiceContext } from "../service-context";
import { getDna } from "../services/dna";
import { getEntity } from "../services/entities";
import { leadSystem } from "../services/entity-system";
import { type TicketView, ticketView } from "../services/tasks";
import { getTenantObject, objectKeys } from "../storage/object-keys";
import { huntScheduleKey, inHuntWindow, nextHuntAt } from "./schedule";

/**
 * The hunter around a single hunt (hunt.ts): its schedule, what the Hunt
 * page shows, and the screenshots. A project's hunts run one at a time: the
 * sniper agent's tickets carry the project as their active key, so "Hunt
 * now" during a run, or the schedule firing during a manual run, joins it.
 */
export const huntRunKey = (projectId: string) => `hunt:${projectId}`;

type Context = Pick<ServiceContext, "env" | "db" | "actor">;

/**
 * The schedule's wake-up: inside the window, a scheduled hunt (joining one
 * already running); then the wake-up moves to the next slot. A disabled
 * hunter, or a project that is gone, stops its wake-up.
 */
export async function runScheduledHunt(projectId: string, runId: string, context: Context) {
  const tenantId = context.actor.auth.tenantId;
  const tenant = context.env.TENANT.getByName(tenantId);
  const key = huntScheduleKey(projectId);
  if (!(await tenant.holdWakeUp(key, runId, 60_000))) return { outcome: "busy" as const };
  const dna = await getDna(projectId, context).catch(() => undefined);
  const settings = dna?.dna.modules.leadHunter;
  if (!dna || !settings?.enabled || settings.keywords.length === 0) {
    await tenant.stopWakeUp(key);
    return { outcome: "stopped" as const };
  }
  const timezone = dna.dna.modules.speedToLead.timezone;
  const now = new Date();
  let ticketId: string | undefined;
  if (inHuntWindow(settings.schedule, timezone, now)) {
    const ticket = await tenant.createTicket(
      tenantId,
      "sniper_agent",
      { projectId, trigger: "schedule" },
      undefined,
      undefined,
      huntRunKey(projectId),
    );
    ticketId = ticket.id;
  }
  const next = nextHuntAt(settings.schedule, timezone, now);
  if (next) await tenant.releaseWakeUp(key, runId, next.getTime());
  else await tenant.stopWakeUp(key);
  return {
    outcome: ticketId ? ("started" as const) : ("outside-window" as const),
    ticketId,
    next: next?.toISOString(),
  };
}

export interface HuntedLeadView {
  id: string;
  name: string;
  status: string | null;
  phone: string | null;
  createdAt: string;
  platform: string;
  url: string;
  keyword: string;
  place: string | null;
  fetchedAt: string;
  postedAt: string | null;
  urgency: string | null;
  sourceText: string;
  hasScreenshot: boolean;
  score: number | null;
  alertedAt: string | null;
  runId: string | null;
}

export interface HuntRunView extends TicketView {
  scored: number;
  alerted: number;
}

/** The Hunt page: settings, recent runs with their counts, and the hunted leads with where they came from. */
export async function huntOverview(projectIdInput: unknown, context: Context) {
  const projectId = parseId(projectIdInput, "projectId");
  const { dna } = await getDna(projectId, context);
  const rows = await withTenant(context.db, context.actor.auth.tenantId, (tx) => listHuntedLeads(tx, projectId, 100));
  const leads: HuntedLeadView[] = rows.map((row) => {
    const system = leadSystem({ system: (row.system ?? {}) as Record<string, unknown> });
    const hunt = system.hunt;
    const data = row.data as Record<string, unknown>;
    return {
      id: row.id,
      name: row.name,
      status: row.status,
      phone: typeof data.phone === "string" ? data.phone : null,
      createdAt: row.createdAt.toISOString(),
      platform: hunt?.platform ?? "",
      url: hunt?.url ?? "",
      keyword: hunt?.keyword ?? "",
      place: hunt?.place ?? null,
      fetchedAt: hunt?.fetchedAt ?? "",
      postedAt: hunt?.postedAt ?? null,
      urgency: hunt?.urgency ?? null,
      sourceText: hunt?.sourceText ?? "",
      hasScreenshot: hunt?.screenshot?.stored === true,
      score: system.score?.value ?? null,
      alertedAt: hunt?.alertedAt ?? null,
      runId: hunt?.runId ?? null,
    };
  });
  const tickets = await context.env.TENANT.getByName(context.actor.auth.tenantId).listProjectTickets(
    "sniper_agent",
    projectId,
    20,
  );
  const runs: HuntRunView[] = tickets.map((ticket) => {
    const mine = leads.filter((lead) => lead.runId === ticket.id);
    const view = ticketView(ticket);
    return {
      ...view,
      scored: mine.filter((lead) => lead.score !== null).length,
      alerted: mine.filter((lead) => lead.alertedAt !== null).length,
    };
  });
  return { projectId, settings: dna.modules.leadHunter, runs, leads };
}

/**
 * A hunted lead's screenshot. The key is derived from the tenant, the
 * lead's project and the address Apex recorded (`system.hunt.url`), never
 * from anything the tenant wrote.
 */
export async function huntScreenshot(leadIdInput: unknown, context: Context): Promise<R2ObjectBody> {
  const leadId = parseId(leadIdInput, "id");
  const lead = await getEntity(leadId, context);
  const hunt = leadSystem(lead).hunt;
  if (lead.type !== "lead" || !hunt?.url || hunt.screenshot?.stored !== true) {
    throw problems.notFound(`Lead ${leadId} has no hunt screenshot.`);
  }
  const tenantId = context.actor.auth.tenantId;
  const key = objectKeys.huntScreenshot(tenantId, lead.projectId, await sha256Hex(hunt.url));
  const object = await getTenantObject(context.env.ARCHIVE, tenantId, key);
  if (!object) throw problems.notFound(`Lead ${leadId}'s screenshot is gone.`);
  return object;
}
