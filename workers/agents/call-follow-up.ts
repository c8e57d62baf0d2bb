import { enqueue } from "../queue/enqueue";
import { taskParams } from "../queue/tasks";
import { contextFromAgent } from "../service-context";
import { missedBridgeFollowUp } from "../speed-to-lead/bridge";
import { missedInboundFollowUp } from "../speed-to-lead/inbound";
import { storeRecording } from "../speed-to-lead/recordings";
import { defineAgent } from "./agent";

/** Internal: a bridge that did not connect — SMS the owner, text the customer back (once per window). */
export const bridgeMissed = defineAgent({
  task: "bridge_missed",
  mode: "heavy",
  role: "owner",
  internal: true,
  params: taskParams.bridge_missed,
  run: (params, context) => missedBridgeFollowUp(params.callId, params.reason, contextFromAgent(context)),
});

/** Internal: copy a finished call's recording from Twilio into R2. */
export const storeCallRecording = defineAgent({
  task: "store_call_recording",
  mode: "heavy",
  role: "owner",
  internal: true,
  params: taskParams.store_call_recording,
  async run(params, context) {
    const { env, tenantId } = context;
    const stored = await storeRecording(params.callId, contextFromAgent(context));
    // A ticket, so the lead page shows transcription (and then analysis) progressing or failing.
    await enqueue(env, tenantId, "transcribe_call", { callId: params.callId }, { ticket: true });
    return stored;
  },
});

/** Internal: a caller missed the owner — one text-back per caller per window. */
export const inboundMissed = defineAgent({
  task: "inbound_missed",
  mode: "heavy",
  role: "owner",
  internal: true,
  params: taskParams.inbound_missed,
  run: (params, context) => missedInboundFollowUp(params.callId, contextFromAgent(context)),
});
