import type { Database } from "../../schema/db";
import { withTenant } from "../../schema/tenant-transaction";
import type { RequestActor } from "../context";
import { Problem, problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import { isOptedOut, setOptOut } from "../repositories/opt-outs";
import { findProject, projectForWebhook } from "../repositories/projects";
import { isOpen, nextOpening } from "../voice/business-hours";
import { fillTemplate, type VoiceSettings } from "../voice/settings";
import { twilioClient, twilioConfigured, VoiceResponse } from "../voice/twilio";
import { speedToLeadSettings } from "./dna";
import { createEntity, type Entity, getEntity, leadByPhone, reviseEntity } from "./entities";
import { HOUR_MS, onceOnly } from "./external-actions";
import { publisherFor } from "./realtime";
import { relate } from "./relationships";
import { recordUsage } from "./usage";

/**
 * The speed-to-lead bridge and the calls and texts around it (SPEC §6 A–B).
 * Every outbound call and SMS passes the opt-out ledger first and the
 * idempotent action ledger second; every Twilio callback is deduplicated by
 * its own identity before it changes anything.
 */
export interface VoiceContext {
  env: Env;
  db: Database;
  actor: RequestActor;
}

const entityContext = ({ env, db, actor }: VoiceContext) => ({
  db,
  actor,
  publish: publisherFor(env, actor.auth.tenantId),
});

/** The project and its speed-to-lead settings, read from the merged DNA (modules.speedToLead). */
export async function projectVoice(projectId: string, { db, actor }: VoiceContext) {
  const found = await withTenant(db, actor.auth.tenantId, async (tx) => {
    const project = await findProject(tx, projectId);
    const settings = project ? await speedToLeadSettings(tx, projectId) : undefined;
    return project && settings ? { project, settings } : undefined;
  });
  if (!found) throw problems.notFound(`No project ${projectId}.`);
  return found;
}

export async function optedOut(phone: string, { db, actor }: VoiceContext): Promise<boolean> {
  return withTenant(db, actor.auth.tenantId, (tx) => isOptedOut(tx, phone));
}

/** Public webhook URL: PUBLIC_BASE_URL, the address Twilio was given and signs. */
export function webhookUrl(env: Env, path: string, query: Record<string, string>): string {
  const url = new URL(`/webhooks/twilio/${path}`, env.PUBLIC_BASE_URL);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

const leadSummary = (lead: Entity) => {
  const message = typeof lead.data.message === "string" ? lead.data.message : "";
  return {
    name: lead.name,
    source: String(lead.data.source ?? "the web")
      .replace("google-ads", "Google Ads")
      .replace("wordpress", "your website"),
    phone: String(lead.data.phone ?? ""),
    about: message ? `, ${message.slice(0, 80)}` : "",
  };
};

function requireTwilio(env: Env): void {
  if (!twilioConfigured(env)) {
    throw new Problem({
      status: 503,
      code: "twilio-not-configured",
      title: "Twilio is not configured",
      detail: "Set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or run npm run dev, which starts the simulator).",
    });
  }
}

/**
 * Sends an SMS unless the recipient opted out; at most once per `key`.
 * Returns the message SID, or why nothing was sent.
 */
export async function sendSms(
  input: { projectId: string; to: string; from: string; body: string; key: string; leadId?: string },
  context: VoiceContext,
): Promise<{ sent: boolean; sid?: string; reason?: string }> {
  requireTwilio(context.env);
  if (await optedOut(input.to, context)) return { sent: false, reason: "opted-out" };
  const { result, performed } = await onceOnly(
    context.env,
    context.actor.auth.tenantId,
    `sms:${input.key}`,
    72 * HOUR_MS,
    async () => {
      const message = await twilioClient(context.env).messages.create({
        to: input.to,
        from: input.from,
        body: input.body,
      });
      return { sid: message.sid };
    },
  );
  if (performed) {
    await recordUsage(
      {
        projectId: input.projectId,
        resource: "sms_segment",
        quantity: Math.max(1, Math.ceil(input.body.length / 160)),
        source: "sms",
        reference: result.sid,
        idempotencyKey: `sms:${result.sid}`,
      },
      context,
    ).catch(() => undefined);
    const message = await createEntity(
      {
        projectId: input.projectId,
        type: "message",
        name: `SMS to ${input.to}`,
        status: "sent",
        data: { direction: "outbound", to: input.to, from: input.from, body: input.body, sid: result.sid },
      },
      entityContext(context),
    );
    if (input.leadId) await relate(input.leadId, { toId: message.id, type: "has_message" }, entityContext(context));
  }
  return { sent: true, sid: result.sid };
}

export type BridgeOutcome =
  | { outcome: "dialing"; callId: string; callSid: string }
  | { outcome: "already-dialed"; callId: string; callSid: string }
  | { outcome: "scheduled"; at: string }
  | { outcome: "skipped"; reason: string };

/**
 * The bridge (seed §3.1 SalesAgent): ring the owner from the project's number;
 * the whisper and the connect step follow as Twilio webhooks. Outside business
 * hours the owner gets an SMS and the call is scheduled for opening time.
 * One automatic bridge per lead, ever: the action key is the lead's. A person
 * pressing "call now" passes `attempt`, which makes a new, equally
 * once-only key for that press.
 */
export async function startBridge(
  input: { leadId: string; projectId: string; attempt?: string | undefined },
  context: VoiceContext & { schedule(delaySeconds: number): Promise<void> },
): Promise<BridgeOutcome> {
  const { env, actor } = context;
  requireTwilio(env);
  const { settings } = await projectVoice(input.projectId, context);
  if (!settings.ownerPhone || !settings.trackingNumber) {
    throw new Problem({
      status: 422,
      code: "voice-not-set-up",
      title: "Speed-to-lead is not set up",
      detail: "The project needs an owner phone and a tracking number (PUT /api/v1/projects/{id}/voice-settings).",
      errors: [{ field: settings.ownerPhone ? "trackingNumber" : "ownerPhone", message: "required for the bridge" }],
    });
  }
  const lead = await getEntity(input.leadId, context);
  const customer = typeof lead.data.phone === "string" ? lead.data.phone : undefined;
  if (!customer) return { outcome: "skipped", reason: "the lead has no phone number" };
  if (await optedOut(customer, context)) {
    await markLead(lead.id, { bridge: { status: "skipped", reason: "opted-out" } }, context);
    return { outcome: "skipped", reason: "the customer opted out" };
  }
  const now = new Date();
  if (!isOpen(settings, now)) {
    const opening = nextOpening(settings, now);
    const summary = leadSummary(lead);
    await sendSms(
      {
        projectId: input.projectId,
        to: settings.ownerPhone,
        from: settings.trackingNumber,
        body: `${fillTemplate(settings.ownerSmsTemplate, summary)} (after hours: Apex will call you when you open)`,
        key: `after-hours:${lead.id}`,
        leadId: lead.id,
      },
      context,
    );
    if (!opening) return { outcome: "skipped", reason: "no business hours are open" };
    // Queues delay at most 12 h; a run that wakes early reschedules itself.
    await context.schedule(Math.min(43_200, Math.ceil((opening.getTime() - now.getTime()) / 1000)));
    await markLead(lead.id, { bridge: { status: "scheduled", at: opening.toISOString() } }, context);
    return { outcome: "scheduled", at: opening.toISOString() };
  }

  const { result, performed } = await onceOnly(
    env,
    actor.auth.tenantId,
    `bridge:${lead.id}${input.attempt ? `:manual:${input.attempt}` : ""}`,
    30 * 24 * HOUR_MS,
    async () => {
      const call = await createEntity(
        {
          projectId: input.projectId,
          type: "call",
          name: `Bridge for ${lead.name}`,
          status: "queued",
          data: {
            direction: "outbound",
            kind: "bridge",
            from: settings.trackingNumber,
            to: settings.ownerPhone,
            customer,
            leadId: lead.id,
            timeline: [{ status: "queued", at: new Date().toISOString() }],
          },
        },
        entityContext(context),
      );
      await relate(lead.id, { toId: call.id, type: "has_call" }, entityContext(context));
      const query = { tenant: actor.auth.tenantId, call: call.id };
      let created: { sid: string };
      try {
        created = await twilioClient(env).calls.create({
          to: settings.ownerPhone as string,
          from: settings.trackingNumber as string,
          url: webhookUrl(env, "whisper", query),
          statusCallback: webhookUrl(env, "status", query),
          statusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
          timeout: 20,
        });
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
      // release the ledger key (a retry would dial the owner a second time).
      await reviseEntity(call.id, (c) => ({ data: { ...c.data, callSid: created.sid } }), entityContext(context)).catch(
        (error) =>
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
    },
  );
  await markLead(lead.id, { bridge: { status: "dialing-owner", callId: result.callId } }, context);
  return performed ? { outcome: "dialing", ...result } : { outcome: "already-dialed", ...result };
}

async function markLead(leadId: string, data: Record<string, unknown>, context: VoiceContext): Promise<Entity> {
  return reviseEntity(leadId, (lead) => ({ data: { ...lead.data, ...data } }), entityContext(context));
}

async function callAndLead(callId: string, context: VoiceContext) {
  const call = await getEntity(callId, context);
  const leadId = typeof call.data.leadId === "string" ? call.data.leadId : undefined;
  const lead = leadId ? await getEntity(leadId, context) : undefined;
  const { settings } = await projectVoice(call.projectId, context);
  return { call, lead, settings };
}

/** The owner picked up: whisper who is waiting and ask for a 1. */
export async function whisperTwiml(callId: string, context: VoiceContext): Promise<string> {
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
  context: VoiceContext,
): Promise<{ twiml: string; missed: boolean }> {
  const { call, settings } = await callAndLead(callId, context);
  const twiml = new VoiceResponse();
  const customer = String(call.data.customer ?? "");
  if (digits !== "1" || !customer || (await optedOut(customer, context))) {
    twiml.say("Okay. We'll text you the details. Goodbye.");
    twiml.hangup();
    await appendTimeline(callId, { status: "owner-declined", digits: digits || "none" }, context);
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

async function appendTimeline(
  callId: string,
  step: Record<string, unknown>,
  context: VoiceContext,
  extra: (data: Record<string, unknown>) => Record<string, unknown> = () => ({}),
  status?: string,
): Promise<Entity> {
  return reviseEntity(
    callId,
    (call) => ({
      ...(status ? { status } : {}),
      data: {
        ...call.data,
        ...extra(call.data),
        timeline: [...((call.data.timeline as unknown[]) ?? []), { ...step, at: new Date().toISOString() }],
      },
    }),
    entityContext(context),
  );
}

const MISSED = new Set(["no-answer", "busy", "failed", "canceled"]);

/**
 * A call-progress callback. Deduplicated on CallSid + CallStatus: Twilio
 * retries, and a repeat must change nothing. Returns whether the owner never
 * picked up (the caller then follows up by SMS).
 */
export async function callStatus(
  callId: string,
  params: Record<string, string>,
  context: VoiceContext,
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
        () => (status === "completed" || MISSED.has(status) ? { durationSeconds: duration } : {}),
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
      if (typeof call.data.leadId === "string") {
        await markLead(call.data.leadId, { lastCallStatus: status }, context);
      }
      return { missed: MISSED.has(status) };
    },
  );
  return { applied: performed, missed: result.missed };
}

/** Where the customer leg ended (the <Dial action>): connected or not. */
export async function dialStatus(callId: string, params: Record<string, string>, context: VoiceContext) {
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
        () => ({
          connected: status === "completed",
          customerStatus: status,
        }),
      );
      if (typeof call.data.leadId === "string") {
        await markLead(
          call.data.leadId,
          { bridge: { status: status === "completed" ? "connected" : `customer-${status}`, callId } },
          context,
        );
        if (status === "completed")
          await reviseEntity(call.data.leadId, () => ({ status: "contacted" }), entityContext(context));
      }
      return { status };
    },
  );
  const twiml = new VoiceResponse();
  twiml.hangup();
  return { twiml: twiml.toString(), applied: performed, customerMissed: status !== "completed" };
}

/** A recording is ready: note it on the call (the copy to R2 runs as an agent). */
export async function recordingReady(callId: string, params: Record<string, string>, context: VoiceContext) {
  return onceOnly(
    context.env,
    context.actor.auth.tenantId,
    `twilio-recording:${params.RecordingSid}`,
    72 * HOUR_MS,
    async () => {
      await appendTimeline(callId, { status: "recording-ready", recordingSid: params.RecordingSid }, context, () => ({
        recording: {
          sid: params.RecordingSid,
          url: params.RecordingUrl,
          durationSeconds: Number(params.RecordingDuration ?? 0),
          channels: Number(params.RecordingChannels ?? 1),
          stored: false,
        },
      }));
      return { recordingSid: params.RecordingSid ?? "", recordingUrl: params.RecordingUrl ?? "" };
    },
  );
}

/** Copies a recording from Twilio to R2 and marks the lead "transcription pending". */
export async function storeRecording(callId: string, context: VoiceContext): Promise<{ key: string; bytes: number }> {
  const { env, actor } = context;
  const call = await getEntity(callId, context);
  const recording = call.data.recording as { sid: string; url: string } | undefined;
  if (!recording) throw problems.notFound(`Call ${callId} has no recording.`);
  const key = `recordings/${actor.auth.tenantId}/${callId}/${recording.sid}.wav`;
  const existing = await env.ARCHIVE.head(key);
  if (!existing) {
    const response = await fetch(`${recording.url}.wav`, {
      headers: { authorization: `Basic ${btoa(`${env.TWILIO_ACCOUNT_SID}:${env.TWILIO_AUTH_TOKEN}`)}` },
    });
    if (!response.ok) throw new Error(`recording download answered ${response.status}`);
    await env.ARCHIVE.put(key, await response.arrayBuffer(), { httpMetadata: { contentType: "audio/wav" } });
  }
  const stored = await env.ARCHIVE.head(key);
  await reviseEntity(
    callId,
    (c) => ({ data: { ...c.data, recording: { ...(c.data.recording as object), stored: true, key } } }),
    entityContext(context),
  );
  if (typeof call.data.leadId === "string") await markLead(call.data.leadId, { transcription: "pending" }, context);
  return { key, bytes: stored?.size ?? 0 };
}

/**
 * After a bridge that did not connect: tell the owner, and text the customer
 * back — once per customer per window, however many attempts failed.
 */
export async function missedBridgeFollowUp(callId: string, reason: string, context: VoiceContext) {
  const { call, lead, settings } = await callAndLead(callId, context);
  if (!lead || !settings.ownerPhone || !settings.trackingNumber) return { owner: false, customer: false };
  const summary = leadSummary(lead);
  const owner = await sendSms(
    {
      projectId: call.projectId,
      to: settings.ownerPhone,
      from: settings.trackingNumber,
      body: `Missed: ${fillTemplate(settings.ownerSmsTemplate, summary)}`,
      key: `missed-owner:${callId}`,
      leadId: lead.id,
    },
    context,
  );
  const customer = await textBack(call.projectId, summary.phone, settings, context, lead.id);
  await markLead(lead.id, { bridge: { status: "missed", reason, callId } }, context);
  return { owner: owner.sent, customer: customer.sent };
}

/** One text-back per phone per window (a customer who tries five times gets one text). */
export async function textBack(
  projectId: string,
  phone: string,
  settings: VoiceSettings,
  context: VoiceContext,
  leadId?: string,
) {
  if (!phone || !settings.trackingNumber) return { sent: false, reason: "no number" };
  const { project } = await projectVoice(projectId, context);
  const window = Math.floor(Date.now() / (settings.textBackWindowMinutes * 60_000));
  return sendSms(
    {
      projectId,
      to: phone,
      from: settings.trackingNumber,
      body: fillTemplate(settings.textBackTemplate, { business: project.name }),
      key: `text-back:${projectId}:${phone}:${window}`,
      ...(leadId ? { leadId } : {}),
    },
    context,
  );
}

const STOP_WORDS = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"]);
const START_WORDS = new Set(["START", "YES", "UNSTOP", "OPTIN"]);

/**
 * An inbound SMS: STOP/START keywords update the opt-out ledger (and are
 * answered as Twilio's own opt-out handling would); anything else is threaded
 * onto the sender's lead as a message.
 */
export async function inboundSms(projectId: string, params: Record<string, string>, context: VoiceContext) {
  const from = params.From ?? "";
  const body = (params.Body ?? "").trim();
  const word = body.toUpperCase();
  const { project } = await projectVoice(projectId, context);
  if (STOP_WORDS.has(word) || START_WORDS.has(word)) {
    const optOut = STOP_WORDS.has(word);
    await withTenant(context.db, context.actor.auth.tenantId, async (tx) => {
      await setOptOut(tx, context.actor.auth.tenantId, from, optOut, word);
      await recordAudit(tx, context.actor, {
        action: optOut ? "opt_out.stop" : "opt_out.start",
        after: { phone: from, keyword: word },
      });
    });
    return {
      reply: optOut
        ? `You have been unsubscribed from ${project.name}. No more calls or texts. Reply START to undo.`
        : `You are subscribed to ${project.name} again. Reply STOP to unsubscribe.`,
    };
  }
  if (word === "HELP") return { reply: `${project.name}: reply STOP to unsubscribe.` };
  const { performed } = await onceOnly(
    context.env,
    context.actor.auth.tenantId,
    `twilio-sms:${params.MessageSid}`,
    72 * HOUR_MS,
    async () => {
      const lead = await leadByPhone(projectId, from, entityContext(context));
      const message = await createEntity(
        {
          projectId,
          type: "message",
          name: `SMS from ${from}`,
          status: "received",
          data: { direction: "inbound", from, to: params.To, body, sid: params.MessageSid },
        },
        entityContext(context),
      );
      if (lead) await relate(lead.id, { toId: message.id, type: "has_message" }, entityContext(context));
      return { messageId: message.id, leadId: lead?.id ?? null };
    },
  );
  return { reply: undefined, threaded: performed };
}

/** A Twilio number's webhooks name their project; the tenant is read from it (after the signature checked out). */
export async function tenantOfProject(db: Database, projectId: string): Promise<string | undefined> {
  return (await projectForWebhook(db, projectId))?.tenantId;
}

/**
 * A call to the project's tracking number (SPEC §6 B): it becomes a call on
 * the caller's lead (found by phone, or new) and is forwarded to the owner,
 * recorded. Deduplicated on CallSid.
 */
export async function inboundCall(
  projectId: string,
  params: Record<string, string>,
  context: VoiceContext,
): Promise<string> {
  const { settings } = await projectVoice(projectId, context);
  const caller = params.From ?? "";
  const { result } = await onceOnly(
    context.env,
    context.actor.auth.tenantId,
    `twilio-inbound:${params.CallSid}`,
    72 * HOUR_MS,
    async () => {
      const ctx = entityContext(context);
      const lead =
        (await leadByPhone(projectId, caller, ctx)) ??
        (await createEntity(
          {
            projectId,
            type: "lead",
            name: `Caller ${caller}`,
            status: "new",
            data: { phone: caller, source: "phone-call", receivedAt: new Date().toISOString() },
          },
          ctx,
        ));
      const call = await createEntity(
        {
          projectId,
          type: "call",
          name: `Call from ${caller}`,
          status: "ringing",
          data: {
            direction: "inbound",
            kind: "inbound",
            from: caller,
            to: params.To,
            callSid: params.CallSid,
            leadId: lead.id,
            timeline: [{ status: "ringing", at: new Date().toISOString() }],
          },
        },
        ctx,
      );
      await relate(lead.id, { toId: call.id, type: "has_call" }, ctx);
      return { callId: call.id, leadId: lead.id };
    },
  );
  const twiml = new VoiceResponse();
  if (!settings.ownerPhone) {
    twiml.say("Sorry, nobody can take your call right now. We'll text you back.");
    twiml.hangup();
    return twiml.toString();
  }
  const query = { tenant: context.actor.auth.tenantId, call: result.callId };
  twiml.say(settings.disclosure);
  const dial = twiml.dial({
    timeout: 20,
    record: "record-from-answer-dual",
    recordingStatusCallback: webhookUrl(context.env, "recording-status", query),
    action: webhookUrl(context.env, "inbound-status", query),
  });
  dial.number(settings.ownerPhone);
  return twiml.toString();
}

/** How the forward to the owner ended; a missed one gets the caller a text-back (one per window). */
export async function inboundDialStatus(callId: string, params: Record<string, string>, context: VoiceContext) {
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
        () => ({
          connected: status === "completed",
          durationSeconds: duration,
        }),
        status === "completed" ? "completed" : status,
      );
      return { status };
    },
  );
  const twiml = new VoiceResponse();
  const missed = status !== "completed";
  if (missed) twiml.say("Sorry we missed you. We'll text you right back.");
  twiml.hangup();
  return { twiml: twiml.toString(), missed: performed && missed };
}

/** After a missed inbound call: the one text-back, and the lead marked. */
export async function missedInboundFollowUp(callId: string, context: VoiceContext) {
  const call = await getEntity(callId, context);
  const { settings } = await projectVoice(call.projectId, context);
  const caller = String(call.data.from ?? "");
  const leadId = typeof call.data.leadId === "string" ? call.data.leadId : undefined;
  const sent = await textBack(call.projectId, caller, settings, context, leadId);
  if (leadId) await markLead(leadId, { lastMissedCallAt: new Date().toISOString() }, context);
  return sent;
}

/** The stored recording of a call, for playback. */
export async function callRecording(callId: string, context: VoiceContext): Promise<R2ObjectBody> {
  const call = await getEntity(callId, context);
  const key = (call.data.recording as { key?: string } | undefined)?.key;
  const object = key ? await context.env.ARCHIVE.get(key) : null;
  if (!object) throw problems.notFound(`Call ${callId} has no stored recording.`);
  return object;
}

/** A text to a lead from the project's number, typed by a person (opt-outs still hold). */
export async function textLead(leadId: string, body: string, context: VoiceContext) {
  const lead = await getEntity(leadId, context);
  const phone = typeof lead.data.phone === "string" ? lead.data.phone : undefined;
  if (!phone) throw problems.validation([{ field: "leadId", message: "the lead has no phone number" }]);
  const { settings } = await projectVoice(lead.projectId, context);
  if (!settings.trackingNumber) {
    throw problems.validation([{ field: "trackingNumber", message: "the project has no number to text from" }]);
  }
  const sent = await sendSms(
    {
      projectId: lead.projectId,
      to: phone,
      from: settings.trackingNumber,
      body,
      key: `manual:${context.actor.requestId}`,
      leadId,
    },
    context,
  );
  if (!sent.sent) throw problems.conflict("opted-out", `${phone} opted out of texts.`);
  return sent;
}
