import { Problem } from "../problems";
import { enqueue } from "../queue/enqueue";
import { taskParams } from "../queue/tasks";
import { contextFromAgent } from "../service-context";
import { analyzeCall, scoreLead, transcribeCall } from "../services/call-intelligence";
import { defineAgent } from "./agent";

/**
 * Heavy: transcribe a stored call recording, then queue its analysis. A
 * refused transcription (no provider that transcribes, a paused project, a
 * recording no longer stored) fails this ticket, saying why, and the call is
 * still analysed from what there is: the lead's message.
 */
export const transcribeCallAgent = defineAgent({
  task: "transcribe_call",
  mode: "heavy",
  role: "member",
  params: taskParams.transcribe_call,
  async run(params, context) {
    const { env, tenantId, reportProgress } = context;
    const analyze = () => enqueue(env, tenantId, "analyze_call", { callId: params.callId }, { ticket: true });
    await reportProgress(10, "reading the recording");
    let result: Awaited<ReturnType<typeof transcribeCall>>;
    try {
      result = await transcribeCall(params.callId, { ...contextFromAgent(context), runKey: context.runId });
    } catch (error) {
      // A refusal is final (the consumer does not retry it); anything else is retried and analysed after.
      if (error instanceof Problem && error.status < 500) await analyze();
      throw error;
    }
    await reportProgress(90, "transcribed; queueing the analysis");
    await analyze();
    return result;
  },
});

/** Heavy: a call's transcript → a validated analysis on the call and its lead. */
export const analyzeCallAgent = defineAgent({
  task: "analyze_call",
  mode: "heavy",
  role: "member",
  params: taskParams.analyze_call,
  run: (params, context) => analyzeCall(params.callId, { ...contextFromAgent(context), runKey: context.runId }),
});

/** Heavy: score a lead; at or above the project's threshold the server bridges it. */
export const leadScorerAgent = defineAgent({
  task: "lead_scorer",
  mode: "heavy",
  role: "member",
  params: taskParams.lead_scorer,
  run: (params, context) => scoreLead(params.leadId, { ...contextFromAgent(context), runKey: context.runId }),
});
