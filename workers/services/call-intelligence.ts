import { z } from "zod";
import { huntedLeadScored } from "../hunter/alerts";
import { generateStructured, transcribe } from "../llm/gateway";
import { modelFor } from "../llm/models";
import { rulesProvider } from "../llm/providers/rules";
import { Problem, problems } from "../problems";
import type { ServiceContext } from "../service-context";
import { type BridgeOutcome, startBridge } from "../speed-to-lead/bridge";
import { noteShed } from "../speed-to-lead/call-state";
import { projectVoice } from "../speed-to-lead/context";
import { textHotLeadAlert, textVoicemailAlert } from "../speed-to-lead/owner-alerts";
import { recordingKey } from "../speed-to-lead/recordings";
import { getTenantObject } from "../storage/object-keys";
import { getDna } from "./dna";
import { type Entity, getEntity, reviseEntity } from "./entities";
import { callSystem, type LeadSystem, leadSystem } from "./entity-system";

/**
 * Call intelligence and lead scoring for bridged and inbound calls: transcript →
 * analysis → attached to the call and the lead; a lead's score with reasons.
 * The model only ever fills a validated schema; what happens next (a bridge
 * call) is decided here, by the server.
 */

/** An agent's run of one of these steps. */
type RunContext = Pick<ServiceContext, "env" | "db" | "actor" | "publish"> & {
  /** Stable across retries of one run: the base of its usage-ledger keys. */
  runKey: string;
};

const PROMPT_VERSIONS = { analyze_call: "analyze-call/1", lead_scorer: "lead-scorer/1" } as const;

const callAnalysisSchema = z.object({
  summary: z.string().min(1).max(2_000),
  keyPoints: z.array(z.string().max(500)).max(10),
  customerIntent: z.string().min(1).max(200),
  nextSteps: z.array(z.string().max(300)).max(10),
  sentiment: z.enum(["positive", "neutral", "negative"]),
  urgency: z.enum(["low", "medium", "high"]),
});

const leadScoreSchema = z.object({
  score: z.number().int().min(0).max(100),
  urgency: z.number().int().min(0).max(100),
  budget: z.number().int().min(0).max(100),
  fit: z.number().int().min(0).max(100),
  reasons: z.array(z.string().min(1).max(300)).min(1).max(6),
});

/** The business's services (names and keywords) and places, for scoring a post written for anyone. */
async function businessScope(projectId: string, context: RunContext) {
  const { dna } = await getDna(projectId, context);
  return {
    // What the owner told the hunter to look for counts as what the business does.
    services: [
      ...dna.services.flatMap((service) => [service.name, ...service.keywords]),
      ...dna.modules.leadHunter.keywords,
    ],
    places: [...dna.modules.leadHunter.places, ...dna.geoScope.cities, ...dna.geoScope.areas],
  };
}

const leadOf = async (call: Entity, context: RunContext) => {
  const { leadId } = callSystem(call);
  return leadId ? getEntity(leadId, context) : undefined;
};

async function markLead(lead: Entity | undefined, state: LeadSystem, context: RunContext) {
  if (!lead) return;
  await reviseEntity(lead.id, (current) => ({ system: { ...current.system, ...state } }), context);
}

/** The stored recording → a transcript on the call; the lead shows each step. */
export async function transcribeCall(
  callId: string,
  context: RunContext,
): Promise<{ characters: number; model: string }> {
  const call = await getEntity(callId, context);
  const key = callSystem(call).recording?.stored ? recordingKey(call, context.actor.auth.tenantId) : undefined;
  if (!key) throw problems.notFound(`Call ${callId} has no stored recording.`);
  const object = await getTenantObject(context.env.ARCHIVE, context.actor.auth.tenantId, key);
  if (!object) throw problems.notFound(`The recording of call ${callId} is no longer stored.`);
  const lead = await leadOf(call, context);
  await markLead(lead, { transcription: "in-progress" }, context);
  let result: Awaited<ReturnType<typeof transcribe>>;
  try {
    result = await transcribe(
      await object.arrayBuffer(),
      object.httpMetadata?.contentType ?? "audio/wav",
      { ...context, projectId: call.projectId },
      callSystem(call).recording?.durationSeconds,
    );
  } catch (error) {
    if (error instanceof Problem && error.status < 500)
      await markLead(lead, { transcription: `unavailable: ${error.detail}` }, context);
    if (lead && error instanceof Problem && error.code === "spend-cap-reached") {
      await noteShed(
        lead.id,
        { key: `transcribe:${callId}`, action: "transcription", reason: "spend-cap", detail: error.detail },
        context,
      );
    }
    throw error;
  }
  await reviseEntity(
    callId,
    (current) => ({
      system: { ...current.system, transcript: { text: result.value, model: result.model, provider: result.provider } },
    }),
    context,
  );
  await markLead(lead, { transcription: "done" }, context);
  return { characters: result.value.length, model: result.model };
}

/** What a call's analysis reads: its transcript (possibly none) and the lead's message before it. */
interface CallFacts {
  transcript: string;
  message: string;
}

/** The call's transcript through the project's model; the lead's message goes with it as context. */
function analyzeTranscript(facts: CallFacts, projectId: string, context: RunContext) {
  const message = facts.message ? `The lead's message before the call: ${JSON.stringify(facts.message)}\n\n` : "";
  return generateStructured(
    callAnalysisSchema,
    {
      task: "analyze_call",
      system:
        "You analyze phone calls between a local service business and its customer. " +
        "Answer only with JSON for the given schema. Do not invent facts that are not in the transcript " +
        "or the lead's message.",
      prompt: `${message}Transcript:\n${facts.transcript}`,
      input: { ...facts },
    },
    { ...context, projectId },
  );
}

/**
 * No transcript (nothing could transcribe the recording, or it held no
 * words): the rule-based provider reads the lead's message. A model would
 * only paraphrase those few words, for money and with room to invent; the
 * rules say what is there, for free, whatever provider the tenant chose.
 */
async function analyzeLeadMessage(facts: CallFacts) {
  const answer = await rulesProvider.generate({
    task: "analyze_call",
    model: modelFor("rules", "analyze_call"),
    prompt: facts.message,
    input: { ...facts },
  });
  return {
    value: callAnalysisSchema.parse(JSON.parse(answer.text)),
    provider: rulesProvider.name,
    model: answer.model,
  };
}

/**
 * Transcript and the lead's message → summary, key points, intent, next
 * steps, sentiment, urgency — on the call and its lead. `basis` says what it
 * was read from. With neither there is nothing to read, and the call gets no
 * analysis rather than one made of nothing.
 */
export async function analyzeCall(callId: string, context: RunContext) {
  const call = await getEntity(callId, context);
  const lead = await leadOf(call, context);
  const facts: CallFacts = {
    transcript: callSystem(call).transcript?.text.trim() ?? "",
    message: typeof lead?.data.message === "string" ? lead.data.message.trim() : "",
  };
  if (!facts.transcript && !facts.message) {
    // A voicemail nobody could transcribe is still a message the owner must hear about.
    if (callSystem(call).voicemail) await textVoicemailAlert(call, lead, undefined, context);
    throw problems.notFound(`Call ${callId} has no transcript and its lead left no message: nothing to analyze.`);
  }
  const result = facts.transcript
    ? await analyzeTranscript(facts, call.projectId, context)
    : await analyzeLeadMessage(facts);
  const analysis = {
    ...result.value,
    basis: (facts.transcript ? "transcript" : "lead-message") as "transcript" | "lead-message",
    model: result.model,
    provider: result.provider,
    promptVersion: PROMPT_VERSIONS.analyze_call,
    ...("shed" in result && result.shed ? { shed: result.shed } : {}),
  };
  await reviseEntity(callId, (current) => ({ system: { ...current.system, analysis } }), context);
  await markLead(lead, { analysis: { ...analysis, callId } }, context);
  if (lead && "shed" in result && result.shed) {
    const detail = `${result.shed.detail} Analysed by the free rule-based provider instead.`;
    await noteShed(
      lead.id,
      { key: `analyze:${callId}`, action: "call analysis by the paid model", reason: result.shed.reason, detail },
      context,
    );
  }
  if (callSystem(call).voicemail) await textVoicemailAlert(call, lead, analysis.summary, context);
  return analysis;
}

/**
 * Urgency, budget and fit → a 0–100 score with reasons, stored on the lead.
 * At or above the project's threshold, and with nobody having called the lead
 * yet, the server starts the bridge (at most one per lead, ever).
 */
export async function scoreLead(
  leadId: string,
  context: RunContext,
): Promise<{ score: number; bridge: BridgeOutcome | null }> {
  const lead = await getEntity(leadId, context);
  if (lead.type !== "lead") throw problems.validation([{ field: "params.leadId", message: "is not a lead" }]);
  const hunt = leadSystem(lead).hunt;
  const facts = {
    name: lead.name,
    message: lead.data.message ?? "",
    source: lead.data.source ?? "unknown",
    phone: lead.data.phone ?? null,
    // A post the hunter found was written for anyone: its fit is judged against this business.
    ...(hunt ? { place: hunt.place ?? null, business: await businessScope(lead.projectId, context) } : {}),
  };
  const result = await generateStructured(
    leadScoreSchema,
    {
      task: "lead_scorer",
      system:
        "You score sales leads for a local service business from 0 to 100 by urgency, budget and fit. " +
        "Give short reasons a business owner would agree with. Answer only with JSON for the given schema.",
      prompt: `Lead:\n${JSON.stringify(facts)}`,
      input: facts,
    },
    { ...context, projectId: lead.projectId },
  );
  const score = {
    value: result.value.score,
    urgency: result.value.urgency,
    budget: result.value.budget,
    fit: result.value.fit,
    reasons: result.value.reasons,
    model: result.model,
    provider: result.provider,
    promptVersion: PROMPT_VERSIONS.lead_scorer,
    scoredAt: new Date().toISOString(),
  };
  const scored = await reviseEntity(leadId, (current) => ({ system: { ...current.system, score } }), context);
  if (result.shed) {
    const detail = `${result.shed.detail} Scored by the free rule-based provider instead.`;
    await noteShed(
      leadId,
      { key: `score:${leadId}`, action: "scoring by the paid model", reason: result.shed.reason, detail },
      context,
    );
  }
  // A hunted lead follows the hunter's own threshold and contact policy (never a call by default).
  if (hunt) return { score: score.value, bridge: (await huntedLeadScored(scored, score.value, context)).bridge };
  const { settings } = await projectVoice(lead.projectId, context);
  if (score.value < settings.scoreThreshold) return { score: score.value, bridge: null };
  const contacted = scored.status !== "new" || Boolean(leadSystem(scored).bridge);
  // The call first (seconds matter), then the hot-lead text; outside business hours the
  // bridge reschedules itself as a sales_agent run, not as a second scoring.
  const bridge = contacted ? null : await startBridge({ leadId, projectId: lead.projectId }, context);
  await textHotLeadAlert(scored, score, context);
  return { score: score.value, bridge };
}
