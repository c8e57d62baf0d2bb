import { VoiceResponse } from "../integrations/twilio/twiml";
import { problems } from "../problems";
import { enqueue } from "../queue/enqueue";
import type { TaskParams } from "../queue/tasks";
import type { ServiceContext } from "../service-context";
import { reviseEntity } from "../services/entities";
import { callSystem } from "../services/entity-system";
import { HOUR_MS, onceOnly } from "../services/external-actions";
import { recordUsage } from "../services/usage";
import { isRecordingSid } from "../storage/object-keys";
import { appendTimeline, callAndLead, MISSED, markLead } from "./call-state";
import { entityContext, optedOut, webhookUrl } from "./context";
import { leadSummary } from "./messages";
import { fillTemplate } from "./settings";

/** Follow-ups run as agents, so Twilio gets its answer without waiting for an SMS or a download. */
const followUp = <T extends "bridge_missed" | "store_call_recording" | "inbound_missed">(
  context: Pick<ServiceContext, "env" | "db" | "actor">,
  task: T,
  params: TaskParams<T>,
) => enqueue(context.env, context.actor.auth.tenantId, task, params);

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
  const customer = callSystem(call).customer ?? "";
  if (digits !== "1" || !customer || (await optedOut(customer, context))) {
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
  dial.number(customer);
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
        await recordUsage(
          {
            projectId: call.projectId,
            resource: "voice_minute",
            quantity: Math.ceil(duration / 60),
            source: "bridge",
            reference: params.CallSid,
            idempotencyKey: `call:${params.CallSid}`,
          },
          context,
        ).catch(() => undefined);
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
      const call = await appendTimeline(
        callId,
        { status: `customer-${status}`, duration: Number(params.DialCallDuration ?? 0) },
        context,
        { connected: status === "completed", customerStatus: status },
      );
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
      await appendTimeline(callId, { status: "recording-ready", recordingSid: sid }, context, {
        recording: {
          sid,
          durationSeconds: Number(params.RecordingDuration ?? 0),
          channels: Number(params.RecordingChannels ?? 1),
          stored: false,
        },
      });
      return { recordingSid: sid };
    },
  );
  if (noted.performed) await followUp(context, "store_call_recording", { callId });
  return { performed: noted.performed };
}

/** How the forward to the owner ended; a missed one gets the caller a text-back (one per window). */
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
      await appendTimeline(
        callId,
        { status: `owner-${status}`, duration },
        context,
        { connected: status === "completed", durationSeconds: duration },
        status === "completed" ? "completed" : status,
      );
      return { status };
    },
  );
  const twiml = new VoiceResponse();
  const missed = status !== "completed";
  if (missed) twiml.say("Sorry we missed you. We'll text you right back.");
  twiml.hangup();
  if (performed && missed) await followUp(context, "inbound_missed", { callId });
  return { twiml: twiml.toString(), missed: performed && missed };
}
