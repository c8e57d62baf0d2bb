import { inOneTenantTransaction } from "../../schema/tenant-transaction";
import type { ServiceContext } from "../service-context";
import { type Entity, getEntity, reviseEntity } from "../services/entities";
import { type CallSystem, callSystem, type LeadSystem, leadSystem } from "../services/entity-system";
import { entityContext, projectVoice } from "./context";

/**
 * How speed-to-lead writes its state: on the call (a timeline of Twilio steps)
 * and on the lead (bridge progress), always in `system`, never in `data`
 * (docs/decisions/014).
 */
/** Apex's own notes on a lead (bridge progress, last call status): the lead's `system` state. */
export async function markLead(
  leadId: string,
  state: LeadSystem,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<Entity> {
  return reviseEntity(leadId, (lead) => ({ system: { ...lead.system, ...state } }), entityContext(context));
}

/** How many shed actions a lead keeps (the newest). */
const SHED_KEPT = 20;

/**
 * Records on the lead that Apex did not take an action, and why (the spend
 * gate or the contact gate said no). Keyed by the action's own key, so a
 * retried agent notes it once.
 */
export async function noteShed(
  leadId: string,
  shed: { key: string; action: string; reason: string; detail?: string | undefined },
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<Entity> {
  return reviseEntity(
    leadId,
    (lead) => {
      const earlier = (leadSystem(lead).shed ?? []).filter((entry) => entry.key !== shed.key);
      const entry = { ...shed, at: new Date().toISOString() };
      return { system: { ...lead.system, shed: [...earlier, entry].slice(-SHED_KEPT) } };
    },
    entityContext(context),
  );
}

/** A call, its lead and its project's settings: read in one transaction (decision 029). */
export async function callAndLead(callId: string, context: Pick<ServiceContext, "env" | "db" | "actor">) {
  return inOneTenantTransaction(context.db, context.actor.auth.tenantId, async (joined) => {
    const inRead = { ...context, db: joined };
    const call = await getEntity(callId, inRead);
    const { leadId } = callSystem(call);
    const lead = leadId ? await getEntity(leadId, inRead) : undefined;
    const { settings } = await projectVoice(call.projectId, inRead);
    return { call, lead, settings };
  });
}

export async function appendTimeline(
  callId: string,
  step: { status: string } & Record<string, unknown>,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
  extra: CallSystem = {},
  status?: string,
): Promise<Entity> {
  return reviseEntity(
    callId,
    (call) => ({
      ...(status ? { status } : {}),
      system: {
        ...call.system,
        ...extra,
        timeline: [...(callSystem(call).timeline ?? []), { ...step, at: new Date().toISOString() }],
      },
    }),
    entityContext(context),
  );
}

/** Call statuses in which nobody answered. */
export const MISSED = new Set(["no-answer", "busy", "failed", "canceled"]);
