import { z } from "zod";
import { missedBridgeFollowUp, missedInboundFollowUp, storeRecording } from "../services/voice";
import { defineAgent } from "./agent";

/** Internal: a bridge that did not connect — SMS the owner, text the customer back (once per window). */
export const bridgeMissed = defineAgent({
  task: "bridge_missed",
  mode: "heavy",
  role: "owner",
  internal: true,
  params: z.object({ callId: z.uuid(), reason: z.string().max(100) }),
  run: (params, { env, actor, db }) => missedBridgeFollowUp(params.callId, params.reason, { env, db: db(), actor }),
});

/** Internal: copy a finished call's recording from Twilio into R2. */
export const storeCallRecording = defineAgent({
  task: "store_call_recording",
  mode: "heavy",
  role: "owner",
  internal: true,
  params: z.object({ callId: z.uuid() }),
  async run(params, { env, actor, db, tenantId }) {
    const stored = await storeRecording(params.callId, { env, db: db(), actor });
    // The analysis hook: the transcription ticket exists from here on (its provider arrives with the AI issue).
    await env.TENANT.getByName(tenantId).createTicket(tenantId, "transcribe_call", { callId: params.callId });
    return stored;
  },
});

/** Internal: a caller missed the owner — one text-back per caller per window. */
export const inboundMissed = defineAgent({
  task: "inbound_missed",
  mode: "heavy",
  role: "owner",
  internal: true,
  params: z.object({ callId: z.uuid() }),
  run: (params, { env, actor, db }) => missedInboundFollowUp(params.callId, { env, db: db(), actor }),
});
