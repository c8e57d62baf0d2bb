/**
 * Keyword and pattern rules for the two tasks rules can do honestly: scoring
 * a lead and analyzing a call's text. Pure functions with no imports, so the
 * rule-based provider (in workerd) and the local Gemini simulator (in Node)
 * run the same rules: a newcomer's stack without a key shows what these rules
 * make of the lead, not filler.
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

/** The bounds of the analysis schema (workers/services/call-intelligence.ts): rules never answer outside them. */
const MAX_SUMMARY = 2_000;
const MAX_KEY_POINT = 500;

const hits = (text: string, words: string[]) => words.filter((w) => text.includes(w));
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export interface LeadScore {
  score: number;
  urgency: number;
  budget: number;
  fit: number;
  reasons: string[];
}

export interface CallAnalysis {
  summary: string;
  keyPoints: string[];
  customerIntent: string;
  nextSteps: string[];
  sentiment: "positive" | "neutral" | "negative";
  urgency: "low" | "medium" | "high";
}

/** Urgency words, money words and a phone number → a 0–100 score, each part explained. */
export function scoreLeadByRules(input: Record<string, unknown>): LeadScore {
  const text = `${input.name ?? ""} ${input.message ?? ""}`.toLowerCase();
  const urgent = hits(text, URGENT);
  const budget = hits(text, BUDGET);
  const urgency = Math.min(100, 20 + 30 * urgent.length);
  const budgetScore = Math.min(100, 30 + 25 * budget.length);
  const business = businessOf(input.business);
  const fit = business ? businessFit(text, String(input.place ?? ""), Boolean(input.phone), business) : undefined;
  const reasons = [
    urgent.length ? `urgent words: ${urgent.join(", ")}` : "no urgency words",
    budget.length ? `talks about money: ${budget.join(", ")}` : "no budget mentioned",
    ...(fit ? fit.reasons : []),
    input.phone ? "left a phone number" : "no phone number",
  ];
  const fitScore = fit ? fit.score : input.phone ? 70 : 40;
  return {
    score: Math.round(0.5 * urgency + 0.2 * budgetScore + 0.3 * fitScore),
    urgency,
    budget: budgetScore,
    fit: fitScore,
    reasons,
  };
}

/** The business a post is scored against (a hunted lead's `business`), when the input names one. */
function businessOf(value: unknown): { services: string[]; places: string[] } | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { services, places } = value as { services?: unknown; places?: unknown };
  const strings = (list: unknown) =>
    Array.isArray(list) ? list.filter((s): s is string => typeof s === "string") : [];
  return { services: strings(services), places: strings(places) };
}

/** Fit of a post to the business: one of its services named, in one of its places, a way to reach the poster. */
function businessFit(text: string, place: string, phone: boolean, business: { services: string[]; places: string[] }) {
  const service = business.services.find((s) => s.trim() && text.includes(s.toLowerCase()));
  const here = place.toLowerCase();
  const area = business.places.find((p) => p.trim() && here.includes(p.toLowerCase()));
  return {
    score: Math.min(100, 10 + (service ? 50 : 0) + (area ? 30 : 0) + (phone ? 10 : 0)),
    reasons: [
      service ? `asks for a service the business offers: ${service}` : "names none of the business's services",
      area ? `in the service area: ${place}` : place ? `outside the service area: ${place}` : "no place given",
    ],
  };
}

/**
 * What the customer said, sentence by sentence: in a transcript labelled
 * `Customer:`/`Owner:` (how Apex asks for transcripts) only the customer's
 * turns, labels dropped; otherwise every sentence.
 */
function customerSentences(transcript: string): string[] {
  const turns = transcript.split(/(?=\b(?:Customer|Owner):)/).map((turn) => turn.trim());
  const customer = turns.filter((turn) => turn.startsWith("Customer:")).map((turn) => turn.slice(9).trim());
  return sentencesOf(customer.length ? customer.join(" ") : transcript);
}

const sentencesOf = (text: string) =>
  text
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * What is known of a call → summary, key points, intent, next steps,
 * sentiment, urgency. `transcript` is the call's text, `message` what the
 * lead wrote before it; either may be empty (a recording nobody could
 * transcribe, a caller who left no message). The summary is the customer's
 * first words on the call, else the message's; everything else reads both.
 */
export function analyzeCallByRules(input: Record<string, unknown>): CallAnalysis {
  const transcript = String(input.transcript ?? "").trim();
  const message = String(input.message ?? "").trim();
  const lower = `${message}\n${transcript}`.toLowerCase();
  const mood = hits(lower, POSITIVE).length - hits(lower, NEGATIVE).length;
  const urgent = hits(lower, URGENT);
  const firstWords = transcript ? customerSentences(transcript) : sentencesOf(message);
  const summary = firstWords.slice(0, 2).join(" ");
  return {
    summary: clip(summary, MAX_SUMMARY) || "No words were recognised in this call.",
    keyPoints: [...sentencesOf(message), ...sentencesOf(transcript)]
      .filter((s) => hits(s.toLowerCase(), [...URGENT, ...BUDGET]).length > 0)
      .slice(0, 5)
      .map((s) => clip(s, MAX_KEY_POINT)),
    customerIntent: urgent.length ? "urgent repair" : hits(lower, BUDGET).length ? "price enquiry" : "general enquiry",
    nextSteps: urgent.length ? ["Call back within the hour", "Book the job today"] : ["Follow up with a quote"],
    sentiment: mood > 0 ? "positive" : mood < 0 ? "negative" : "neutral",
    urgency: urgent.length >= 2 ? "high" : urgent.length === 1 ? "medium" : "low",
  };
}
