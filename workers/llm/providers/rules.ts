import { Problem } from "../../problems";
import type { GenerateRequest, LlmProvider, ProviderAnswer } from "../types";

/**
 * The provider that needs no key: keyword and pattern rules for the two tasks
 * rules can do honestly — scoring a lead and analyzing a call's text. It
 * transcribes nothing, embeds nothing and writes nothing else, and says so.
 */
const URGENT = [
  "urgent",
  "emergency",
  "asap",
  "today",
  "now",
  "flood",
  "burst",
  "leak",
  "leaking",
  "no heat",
  "no hot water",
  "broken",
];
const BUDGET = ["budget", "quote", "price", "cost", "pay", "$", "estimate"];
const NEGATIVE = ["angry", "terrible", "upset", "complain", "bad", "worst", "frustrated", "disappointed"];
const POSITIVE = ["thanks", "thank you", "great", "perfect", "happy", "appreciate", "wonderful"];

const hits = (text: string, words: string[]) => words.filter((w) => text.includes(w));

function cannot(what: string): Problem {
  return new Problem({
    status: 424,
    code: "llm-not-configured",
    title: "No LLM provider configured",
    detail: `The rule-based provider cannot ${what}. Configure Gemini or an OpenAI-compatible endpoint in /api/v1/settings/llm.`,
  });
}

function scoreLead(input: Record<string, unknown>) {
  const text = `${input.name ?? ""} ${input.message ?? ""}`.toLowerCase();
  const urgent = hits(text, URGENT);
  const budget = hits(text, BUDGET);
  const urgency = Math.min(100, 20 + 30 * urgent.length);
  const budgetScore = Math.min(100, 30 + 25 * budget.length);
  const fit = input.phone ? 70 : 40;
  const reasons = [
    urgent.length ? `urgent words: ${urgent.join(", ")}` : "no urgency words",
    budget.length ? `talks about money: ${budget.join(", ")}` : "no budget mentioned",
    input.phone ? "left a phone number" : "no phone number",
  ];
  return {
    score: Math.round(0.5 * urgency + 0.2 * budgetScore + 0.3 * fit),
    urgency,
    budget: budgetScore,
    fit,
    reasons,
  };
}

function analyzeCall(input: Record<string, unknown>) {
  const transcript = String(input.transcript ?? "");
  const lower = transcript.toLowerCase();
  const sentences = transcript.split(/(?<=[.!?])\s+/).filter(Boolean);
  const mood = hits(lower, POSITIVE).length - hits(lower, NEGATIVE).length;
  const urgent = hits(lower, URGENT);
  return {
    summary: sentences.slice(0, 2).join(" ") || "No words were recognised in this call.",
    keyPoints: sentences.filter((s) => hits(s.toLowerCase(), [...URGENT, ...BUDGET]).length > 0).slice(0, 5),
    customerIntent: urgent.length ? "urgent repair" : hits(lower, BUDGET).length ? "price enquiry" : "general enquiry",
    nextSteps: urgent.length ? ["Call back within the hour", "Book the job today"] : ["Follow up with a quote"],
    sentiment: mood > 0 ? "positive" : mood < 0 ? "negative" : "neutral",
    urgency: urgent.length >= 2 ? "high" : urgent.length === 1 ? "medium" : "low",
  };
}

export const rulesProvider: LlmProvider = {
  name: "rules",
  async generate(request: GenerateRequest): Promise<ProviderAnswer> {
    const input = request.input ?? {};
    let value: unknown;
    if (request.task === "lead_scorer") value = scoreLead(input);
    else if (request.task === "analyze_call") value = analyzeCall(input);
    else throw cannot(`do "${request.task}"`);
    return { text: JSON.stringify(value), usage: { inputTokens: 0, outputTokens: 0 }, model: "rules-v1" };
  },
  async transcribe() {
    throw cannot("transcribe audio: no transcription provider is configured");
  },
  async embed() {
    throw cannot("compute embeddings");
  },
};
