import { downloadRecording } from "../integrations/twilio/client";
import { problems } from "../problems";
import type { ServiceContext } from "../service-context";
import { type Entity, getEntity, reviseEntity } from "../services/entities";
import { callSystem } from "../services/entity-system";
import { tenantTwilio } from "../services/twilio-accounts";
import { recordUsage } from "../services/usage";
import { getTenantObject, isRecordingSid, objectKeys } from "../storage/object-keys";
import { markLead } from "./call-state";
import { entityContext } from "./context";

/** Where a call's recording lives in R2: derived from tenant, call and the SID Twilio's signed callback gave. */
export function recordingKey(call: Entity, tenantId: string): string | undefined {
  const sid = callSystem(call).recording?.sid;
  return sid && isRecordingSid(sid) ? objectKeys.recording(tenantId, call.id, sid) : undefined;
}

/** Copies a recording from Twilio to R2 and marks the lead "transcription pending". */
export async function storeRecording(
  callId: string,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<{ key: string; bytes: number }> {
  const { env, actor } = context;
  const call = await getEntity(callId, context);
  const recording = callSystem(call).recording;
  const key = recordingKey(call, actor.auth.tenantId);
  if (!recording || !key) throw problems.notFound(`Call ${callId} has no recording.`);
  const existing = await env.ARCHIVE.head(key);
  if (!existing) {
    const response = await downloadRecording(await tenantTwilio(context), recording.sid);
    if (!response.ok) throw new Error(`recording download answered ${response.status}`);
    await env.ARCHIVE.put(key, await response.arrayBuffer(), { httpMetadata: { contentType: "audio/wav" } });
  }
  const stored = await env.ARCHIVE.head(key);
  // Keyed by the recording, so the copy made by a retried run is billed once.
  await recordUsage(
    {
      projectId: call.projectId,
      resource: "recording_storage_mb",
      quantity: Math.max(1, Math.ceil((stored?.size ?? 0) / 1_048_576)),
      source: "call-recording",
      reference: recording.sid,
      idempotencyKey: `recording_storage_mb:${recording.sid}`,
    },
    context,
  );
  await reviseEntity(
    callId,
    (c) => {
      const current = callSystem(c).recording ?? recording;
      return { system: { ...c.system, recording: { ...current, stored: true } } };
    },
    entityContext(context),
  );
  const { leadId } = callSystem(call);
  if (leadId) await markLead(leadId, { transcription: "pending" }, context);
  return { key, bytes: stored?.size ?? 0 };
}

/** The stored recording of a call, for playback. */
export async function callRecording(
  callId: string,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<R2ObjectBody> {
  const call = await getEntity(callId, context);
  const key = callSystem(call).recording?.stored ? recordingKey(call, context.actor.auth.tenantId) : undefined;
  const object = key ? await getTenantObject(context.env.ARCHIVE, context.actor.auth.tenantId, key) : null;
  if (!object) throw problems.notFound(`Call ${callId} has no stored recording.`);
  return object;
}
