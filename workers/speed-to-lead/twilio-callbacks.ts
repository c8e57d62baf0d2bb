import { withTenant } from "../../schema/tenant-transaction";
import { contactGate } from "../contact/policy";
import { VoiceResponse } from "../integrations/twilio/twiml";
import { problems } from "../problems";
import { enqueue } from "../queue/enqueue";
import type { TaskParams } from "../queue/tasks";
import { findNumber } from "../repositories/phone-numbers";
import type { ServiceContext } from "../service-context";
import { reviseEntity } from "../services/entities";
import { callSystem } from "../services/entity-system";
import { HOUR_MS, onceOnly } from "../services/external-actions";
import { recordUsage } from "../services/usage";
import { isRecordingSid } from "../storage/object-keys";
import { appendTimeline, callAndLead, MISSED, markLead } from "./call-state";
import { entityContext, webhookUrl } from "./context";
import { customerDisclosureUrl } from "./disclosure";
import { leadSummary } from "./messages";
import { fillTemplate } from "./settings";

/** Follow-ups run as agents, so Twilio gets its answer without waiting for an SMS or a download. */
const followUp = <T extends "bridge_missed" | "store_call_recording" | "inbound_missed">(
  context: Pick<ServiceContext, "env" | "db" | "actor">,
  task: T,
  params: TaskParams<T>,
) => enqueue(context.env, context.actor.auth.tenantId, task, params);

/**
 * Every billable minute a call produced, recorded once per leg (keyed by the
 * leg's SID), cap or no cap: the spend already happened at Twilio.
 */
function meterMinutes(
  projectId: string,
  resource: "voice_minute" | "voice_inbound_minute" | "recording_minute",
  seconds: number,
  source: string,
  reference: string | undefined,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  return recordUsage(
    {
      projectId,
      resource,
      quantity: Math.ceil(seconds / 60),
      source,
      reference,
      idempotencyKey: `${resource}:${reference}`,
    },
    context,
  );
}

/**
 * Twilio's callbacks on a bridge or an inbound call, one function each. Every
 * callback is deduplicated by its own identity (Twilio retries) before it
 * changes anything, and each one starts its own follow-up (an SMS, the copy of
 * a recording), so the route that receives them only adapts HTTP.
 */
/** The owner picked up: whisper who is waiting and ask for a 1. */
export async function whisperTwiml(
  callId: string,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<string> {
  const { lead, settings } = await callAndLead(callId, context);
  const twiml = new VoiceResponse();
  const gather = twiml.gather({
    numDigits: 1,
    timeout: 8,
    actionOnEmptyResult: true,
    action: webhookUrl(context.env, "connect", { tenant: context.actor.auth.tenantId, call: callId }),
  });
  gather.say(
    fillTemplate(settings.whisperTemplate, lead ? leadSummary(lead) : { name: "a caller", source: "Apex", about: "" }),
  );
  return twiml.toString();
}

/** The owner's digit: 1 dials the customer in, recorded; anything else hangs up and follows up by SMS. */
export async function connectTwiml(
  callId: string,
  digits: string,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<{ twiml: string; missed: boolean }> {
  const { call, settings } = await callAndLead(callId, context);
  const twiml = new VoiceResponse();
  const { customer = "", leadId } = callSystem(call);
  // The customer may have opted out while the owner's phone rang.
  const mayCall =
    customer !== "" &&
    (
      await contactGate(
        {
          projectId: call.projectId,
          channel: "call",
          to: customer,
          // The owner pressing 1 is a person's act; the gate still holds an opt-out that arrived meanwhile.
          purpose: "conversation",
          leadId,
          fallbackZone: settings.timezone,
        },
        context,
      )
    ).allowed;
  if (digits !== "1" || !mayCall) {
    twiml.say("Okay. We'll text you the details. Goodbye.");
    twiml.hangup();
    await appendTimeline(callId, { status: "owner-declined", digits: digits || "none" }, context);
    await followUp(context, "bridge_missed", { callId, reason: "owner-declined" });
    return { twiml: twiml.toString(), missed: true };
  }
  twiml.say(settings.disclosure);
  const query = { tenant: context.actor.auth.tenantId, call: callId };
  const dial = twiml.dial({
    callerId: settings.trackingNumber,
    record: "record-from-answer-dual",
    recordingStatusCallback: webhookUrl(context.env, "recording-status", query),
    action: webhookUrl(context.env, "dial-status", query),
  });
  // The customer hears the recording disclosure too, before being connected (Twilio's <Number url>).
  const url = customerDisclosureUrl(context.env, query, settings, customer);
  if (url) dial.number({ url }, customer);
  else dial.number(customer);
  await appendTimeline(callId, { status: "connecting-customer" }, context);
  return { twiml: twiml.toString(), missed: false };
}

/**
 * A call-progress callback. Deduplicated on CallSid + CallStatus: Twilio
 * retries, and a repeat must change nothing. Returns whether the owner never
 * picked up (the caller then follows up by SMS).
 */
export async function callStatus(
  callId: string,
  params: Record<string, string>,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<{ applied: boolean; missed: boolean }> {
  const status = params.CallStatus ?? "unknown";
  const { performed, result } = await onceOnly(
    context.env,
    context.actor.auth.tenantId,
    `twilio-status:${params.CallSid}:${status}`,
    72 * HOUR_MS,
    async () => {
      const duration = Number(params.CallDuration ?? 0);
      const call = await appendTimeline(
        callId,
        { status, sequence: params.SequenceNumber ?? null },
        context,
        status === "completed" || MISSED.has(status) ? { durationSeconds: duration } : {},
        status,
      );
      if (status === "completed" && duration > 0) {
        await meterMinutes(call.projectId, "voice_minute", duration, "bridge-owner-leg", params.CallSid, context);
      }
      const { leadId } = callSystem(call);
      if (leadId) await markLead(leadId, { lastCallStatus: status }, context);
      return { missed: MISSED.has(status) };
    },
  );
  if (performed && result.missed) await followUp(context, "bridge_missed", { callId, reason: `owner-${status}` });
  return { applied: performed, missed: result.missed };
}

/** Where the customer leg ended (the <Dial action>): connected or not. */
export async function dialStatus(
  callId: string,
  params: Record<string, string>,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  const status = params.DialCallStatus ?? "unknown";
  const { performed } = await onceOnly(
    context.env,
    context.actor.auth.tenantId,
    `twilio-dial:${params.CallSid}:${status}`,
    72 * HOUR_MS,
    async () => {
      const duration = Number(params.DialCallDuration ?? 0);
      const call = await appendTimeline(callId, { status: `customer-${status}`, duration }, context, {
        connected: status === "completed",
        customerStatus: status,
      });
      if (duration > 0) {
        const leg = params.DialCallSid ?? `${params.CallSid}:customer`;
        await meterMinutes(call.projectId, "voice_minute", duration, "bridge-customer-leg", leg, context);
      }
      const { leadId } = callSystem(call);
      if (leadId) {
        await markLead(
          leadId,
          { bridge: { status: status === "completed" ? "connected" : `customer-${status}`, callId } },
          context,
        );
        if (status === "completed") await reviseEntity(leadId, () => ({ status: "contacted" }), entityContext(context));
      }
      return { status };
    },
  );
  const twiml = new VoiceResponse();
  twiml.hangup();
  if (performed && status !== "completed") {
    await followUp(context, "bridge_missed", { callId, reason: `customer-${status}` });
  }
  return { twiml: twiml.toString(), applied: performed, customerMissed: status !== "completed" };
}

/**
 * A recording is ready: note its SID on the call (the copy to R2 runs as an
 * agent). Only the SID is kept: the audio is later fetched from Twilio's API by
 * SID, never from the RecordingUrl a request carried.
 */
export async function recordingReady(
  callId: string,
  params: Record<string, string>,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  if (params.RecordingStatus !== "completed") return { performed: false };
  if (!isRecordingSid(params.RecordingSid)) {
    throw problems.validation([{ field: "RecordingSid", message: "is not a Twilio recording SID" }]);
  }
  const noted = await onceOnly(
    context.env,
    context.actor.auth.tenantId,
    `twilio-recording:${params.RecordingSid}`,
    72 * HOUR_MS,
    async () => {
      const sid = params.RecordingSid as string;
      const seconds = Number(params.RecordingDuration ?? 0);
      const call = await appendTimeline(callId, { status: "recording-ready", recordingSid: sid }, context, {
        recording: {
          sid,
          durationSeconds: Number(params.RecordingDuration ?? 0),
          channels: Number(params.RecordingChannels ?? 1),
          stored: false,
        },
      });
      if (seconds > 0) await meterMinutes(call.projectId, "recording_minute", seconds, "call-recording", sid, context);
      return { recordingSid: sid };
    },
  );
  if (noted.performed) await followUp(context, "store_call_recording", { callId });
  return { performed: noted.performed };
}

/** How the forward to the owner ended; a missed one gets the caller a text-back (one per window). */
/**
 * A call to a tracking number ended (the number's status callback). The
 * caller's leg is billed here by its whole duration — at least a minute, as
 * carriers bill — even when the caller hung up before anyone was dialled;
 * keyed like the dial-status meter, so a leg is billed once whichever of the
 * two arrives first.
 */
export async function inboundCallEnded(
  projectId: string,
  params: Record<string, string>,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  if (params.CallStatus !== "completed" || !params.CallSid || params.Direction !== "inbound") return;
  // Only a number this project holds: the signed URL names the project, the claim proves the number.
  const held = await withTenant(context.db, context.actor.auth.tenantId, (tx) =>
    findNumber(tx, projectId, params.To ?? ""),
  );
  if (!held) return;
  const seconds = Math.max(60, Number(params.CallDuration ?? 0));
  await meterMinutes(projectId, "voice_inbound_minute", seconds, "inbound-call", params.CallSid, context);
}

export async function inboundDialStatus(
  callId: string,
  params: Record<string, string>,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
) {
  const status = params.DialCallStatus ?? "unknown";
  const { performed } = await onceOnly(
    context.env,
    context.actor.auth.tenantId,
    `twilio-inbound-dial:${params.CallSid}`,
    72 * HOUR_MS,
    async () => {
      const duration = Number(params.DialCallDuration ?? 0);
      const call = await appendTimeline(
        callId,
        { status: `owner-${status}`, duration },
        context,
        { connected: status === "completed", durationSeconds: duration },
        status === "completed" ? "completed" : status,
      );
      // The caller's own leg was answered by Apex (the disclosure, the ring), so it is billed even
      // when the owner missed it: at least a minute, as carriers bill; the forward to the owner
      // only for the time it was connected.
      await meterMinutes(
        call.projectId,
        "voice_inbound_minute",
        Math.max(60, duration),
        "inbound-call",
        params.CallSid,
        context,
      );
      if (duration > 0) {
        const leg = params.DialCallSid ?? `${params.CallSid}:forward`;
        await meterMinutes(call.projectId, "voice_minute", duration, "inbound-forward-leg", leg, context);
      }
      return { status };
    },
  );
  const twiml = new VoiceResponse();
  const missed = status !== "completed";
  if (missed) {
    // Nobody picked up: the caller may leave a voicemail, which is stored, transcribed and
    // analysed like a call, and announced to the owner (services/call-intelligence.ts).
    const query = { tenant: context.actor.auth.tenantId, call: callId };
    twiml.say("Sorry we missed you. Leave a message after the tone, and we'll text you right back.");
    twiml.record({
      maxLength: VOICEMAIL_MAX_SECONDS,
      timeout: 5,
      playBeep: true,
      trim: "trim-silence",
      recordingStatusCallback: webhookUrl(context.env, "recording-status", query),
      action: webhookUrl(context.env, "voicemail-done", query),
    });
    if (performed) await markVoicemailOffered(callId, context);
  } else {
    twiml.hangup();
  }
  if (performed && missed) await followUp(context, "inbound_missed", { callId });
  return { twiml: twiml.toString(), missed: performed && missed };
}

/** The longest voicemail a caller may leave, in seconds. */
const VOICEMAIL_MAX_SECONDS = 120;

/** The call offered a voicemail: its recording (if any) is a message for the owner, not a conversation. */
async function markVoicemailOffered(callId: string, context: Pick<ServiceContext, "env" | "db" | "actor">) {
  await appendTimeline(callId, { status: "voicemail-offered" }, context, { voicemail: true });
}

/** After the caller's message (the <Record action>): thank them and hang up. */
export function voicemailDoneTwiml(): string {
  const twiml = new VoiceResponse();
  twiml.say("Thanks for your message. We'll get back to you shortly. Goodbye.");
  twiml.hangup();
  return twiml.toString();
}
