import { inOneTenantTransaction } from "../../schema/tenant-transaction";
import type { TwilioConfig } from "../integrations/twilio/client";
import { twilioClient } from "../integrations/twilio/client";
import type { ServiceContext } from "../service-context";
import { createEntity, type Entity, reviseEntity } from "../services/entities";
import { type CallSystem, callSystem } from "../services/entity-system";
import { HOUR_MS, onceOnly } from "../services/external-actions";
import { PendingEvents } from "../services/realtime";
import { relate } from "../services/relationships";
import { tenantTwilio } from "../services/twilio-accounts";
import { noStageClock, type StageClock } from "../stage-clock";
import { appendTimeline, markLead } from "./call-state";
import { entityContext, webhookUrl } from "./context";
import type { SpeedToLeadSettings } from "./settings";

/**
 * The call ladder: who the bridge rings for a lead, in turn — the owner, then
 * the backup phones — each rung time-boxed by `ringSeconds`, until someone
 * presses 1 or the project's time-to-connect target has passed. Each rung is
 * its own call (its own whisper, connect and status callbacks) and rings its
 * person at most once per attempt: the action key names the lead, the
 * attempt and the rung.
 */

/**
 * The people on a lead's ladder, in the order they are rung. Round-robin
 * starts each lead at a different person, spread evenly by the lead's id (so
 * a retry of the same lead always starts at the same person).
 */
export function ladderOf(settings: SpeedToLeadSettings, leadId: string): string[] {
  const people = [settings.ownerPhone, ...settings.backupPhones].filter(
    (phone, index, all): phone is string => Boolean(phone) && all.indexOf(phone) === index,
  );
  if (settings.ladderOrder !== "round-robin" || people.length < 2) return people;
  const start = [...leadId].reduce((sum, char) => (sum * 31 + char.charCodeAt(0)) >>> 0, 7) % people.length;
  return [...people.slice(start), ...people.slice(0, start)];
}

interface Rung {
  lead: Entity;
  customer: string;
  settings: SpeedToLeadSettings;
  projectId: string;
  attempt?: string | undefined;
  rung: number;
  /** When the ladder began (its first rung): the time-to-connect target counts from here. */
  startedAt?: string;
  /** The account to dial from, when the caller read it already (the bridge's one read); else read here. */
  twilio?: TwilioConfig | undefined;
}

/** Rings one rung's person, once per lead, attempt and rung. */
export async function dialRung(
  rung: Rung,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
  clock: StageClock = noStageClock,
) {
  const { env, actor } = context;
  const { lead, settings } = rung;
  const person = ladderOf(settings, lead.id)[rung.rung];
  if (!person || !settings.trackingNumber) throw new Error(`no person on rung ${rung.rung} of lead ${lead.id}`);
  const startedAt = rung.startedAt ?? new Date().toISOString();
  const key = `bridge:${lead.id}${rung.attempt ? `:manual:${rung.attempt}` : ""}${rung.rung > 0 ? `:rung:${rung.rung}` : ""}`;
  const dialed = await onceOnly(env, actor.auth.tenantId, key, 30 * 24 * HOUR_MS, async () => {
    clock.mark("dial claim");
    // The call record and its link to the lead: one transaction, their events published once it commits.
    const pending = new PendingEvents();
    const call = await inOneTenantTransaction(context.db, actor.auth.tenantId, async (joined) => {
      const inWrite = { ...entityContext(context), db: joined, publish: pending.publish };
      const created = await createEntity(
        {
          projectId: rung.projectId,
          type: "call",
          name: rung.rung === 0 ? `Bridge for ${lead.name}` : `Bridge for ${lead.name} (backup ${rung.rung})`,
          status: "queued",
          data: {},
          system: {
            direction: "outbound",
            kind: "bridge",
            from: settings.trackingNumber,
            to: person,
            customer: rung.customer,
            leadId: lead.id,
            ladder: { rung: rung.rung, startedAt, ...(rung.attempt ? { attempt: rung.attempt } : {}) },
            timeline: [{ status: "queued", at: new Date().toISOString() }],
          } satisfies CallSystem,
        },
        inWrite,
      );
      await relate(lead.id, { toId: created.id, type: "has_call" }, inWrite);
      return created;
    });
    await env.TENANT.getByName(actor.auth.tenantId).publishMany(pending.drain());
    clock.mark("call record");
    const query = { tenant: actor.auth.tenantId, call: call.id };
    let created: { sid: string };
    try {
      const twilio = twilioClient(rung.twilio ?? (await tenantTwilio(context)));
      clock.mark("Twilio account");
      created = await twilio.calls.create({
        to: person,
        from: settings.trackingNumber as string,
        url: webhookUrl(env, "whisper", query),
        statusCallback: webhookUrl(env, "status", query),
        statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
        timeout: settings.ringSeconds,
      });
      clock.mark("Twilio request");
    } catch (error) {
      // Twilio's own refusal (a RestException: HTTP status and Twilio error code) means
      // nothing was dialled, and the key is released for a retry. Anything else may
      // have happened after Twilio placed the call: settle the key, never dial twice.
      const refused =
        typeof (error as { status?: unknown }).status === "number" &&
        typeof (error as { code?: unknown }).code === "number";
      if (refused) throw error;
      console.error(
        JSON.stringify({
          level: "error",
          msg: "bridge outcome unknown; not retrying",
          callId: call.id,
          error: String(error),
        }),
      );
      return { callId: call.id, callSid: "unknown" };
    }
    // The call exists at Twilio from here on: a failure in bookkeeping must not
    // release the ledger key (a retry would dial the person a second time).
    await reviseEntity(
      call.id,
      (c) => ({ system: { ...c.system, callSid: created.sid } }),
      entityContext(context),
    ).catch((error) =>
      console.error(
        JSON.stringify({
          level: "error",
          msg: "call placed but its SID was not saved",
          callId: call.id,
          callSid: created.sid,
          error: String(error),
        }),
      ),
    );
    return { callId: call.id, callSid: created.sid };
  });
  const status = rung.rung === 0 ? "dialing-owner" : "dialing-backup";
  await markLead(lead.id, { bridge: { status, callId: dialed.result.callId, rung: rung.rung, to: person } }, context);
  return dialed;
}

/**
 * The rung `call` was missed by its person: ring the next one, if there is one
 * and the time-to-connect target has not passed. Returns the next rung's call,
 * or undefined when the ladder is done (the caller then tells everyone).
 */
export async function climbLadder(
  call: Entity,
  lead: Entity,
  settings: SpeedToLeadSettings,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<{ callId: string; rung: number } | undefined> {
  const system = callSystem(call);
  const current = system.ladder?.rung ?? 0;
  const next = current + 1;
  if (!system.customer || next >= ladderOf(settings, lead.id).length) return undefined;
  const startedAt = system.ladder?.startedAt ?? call.createdAt;
  const elapsed = (Date.now() - Date.parse(startedAt)) / 1000;
  if (elapsed > settings.connectTargetSeconds) {
    await appendTimeline(call.id, { status: "ladder-stopped", reason: "time-to-connect target passed" }, context);
    return undefined;
  }
  const { result } = await dialRung(
    {
      lead,
      customer: system.customer,
      settings,
      projectId: call.projectId,
      attempt: system.ladder?.attempt,
      rung: next,
      startedAt,
    },
    context,
  );
  await appendTimeline(call.id, { status: "next-rung", rung: next, nextCallId: result.callId }, context);
  return { callId: result.callId, rung: next };
}
