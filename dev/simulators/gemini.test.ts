import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startGeminiSimulator } from "./gemini.ts";
import { recordingWav } from "./twilio.ts";

const API_KEY = "test-key";
let baseUrl = "";
let close: () => Promise<void>;

before(async () => {
  const simulator = await startGeminiSimulator({ port: 0, apiKey: API_KEY });
  baseUrl = simulator.baseUrl;
  close = simulator.close;
});

after(async () => {
  await close();
});

/** The JSON schemas Apex asks for (z.toJSONSchema of workers/services/call-intelligence.ts), trimmed to shape. */
const leadScoreSchema = {
  type: "object",
  properties: {
    score: { type: "integer", minimum: 0, maximum: 100 },
    urgency: { type: "integer", minimum: 0, maximum: 100 },
    budget: { type: "integer", minimum: 0, maximum: 100 },
    fit: { type: "integer", minimum: 0, maximum: 100 },
    reasons: { type: "array", items: { type: "string" } },
  },
};
const callAnalysisSchema = {
  type: "object",
  properties: {
    summary: { type: "string" },
    keyPoints: { type: "array", items: { type: "string" } },
    customerIntent: { type: "string" },
    nextSteps: { type: "array", items: { type: "string" } },
    sentiment: { type: "string", enum: ["positive", "neutral", "negative"] },
    urgency: { type: "string", enum: ["low", "medium", "high"] },
  },
};

interface GeminiAnswer {
  candidates: { content: { parts: { text: string }[] } }[];
  usageMetadata: { promptTokenCount: number; candidatesTokenCount: number; totalTokenCount: number };
}

async function generate(parts: object[], schema?: object, system = "Answer only with JSON.") {
  const response = await fetch(`${baseUrl}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": API_KEY },
    body: JSON.stringify({
      ...(system ? { systemInstruction: { parts: [{ text: system }] } } : {}),
      contents: [{ role: "user", parts }],
      generationConfig: schema ? { responseMimeType: "application/json", responseJsonSchema: schema } : {},
    }),
  });
  const body = (await response.json()) as GeminiAnswer;
  return { status: response.status, body, text: body.candidates?.[0]?.content.parts[0]?.text ?? "" };
}

/** The prompt workers/services/call-intelligence.ts sends for a lead. */
const scoreLead = async (facts: Record<string, unknown>) =>
  JSON.parse((await generate([{ text: `Lead:\n${JSON.stringify(facts)}` }], leadScoreSchema)).text) as {
    score: number;
    urgency: number;
    reasons: string[];
  };

const analyze = async (prompt: string) =>
  JSON.parse((await generate([{ text: prompt }], callAnalysisSchema)).text) as {
    summary: string;
    keyPoints: string[];
    customerIntent: string;
    nextSteps: string[];
    sentiment: string;
    urgency: string;
  };

/** A silent 8 kHz 16-bit mono WAV of the given length, as the Twilio simulator records. */
function wav(seconds: number): string {
  const size = seconds * 8000 * 2;
  const buffer = Buffer.alloc(44 + size);
  buffer.write("RIFF", 0);
  buffer.writeUInt32LE(36 + size, 4);
  buffer.write("WAVEfmt ", 8);
  buffer.writeUInt32LE(16, 16);
  buffer.writeUInt16LE(1, 20);
  buffer.writeUInt16LE(1, 22);
  buffer.writeUInt32LE(8000, 24);
  buffer.writeUInt32LE(16000, 28);
  buffer.writeUInt16LE(2, 32);
  buffer.writeUInt16LE(16, 34);
  buffer.write("data", 36);
  buffer.writeUInt32LE(size, 40);
  return buffer.toString("base64");
}

const transcribeAudio = async (data: string) =>
  generate([{ text: "Transcribe this phone call." }, { inlineData: { mimeType: "audio/wav", data } }], undefined, "");
const transcribe = (seconds: number) => transcribeAudio(wav(seconds));

describe("the Gemini simulator's lead scores", () => {
  it("scores an urgent burst-pipe lead high, with a reason naming its urgency words", async () => {
    const score = await scoreLead({
      name: "Fran Flood",
      message: "URGENT: a pipe burst and the basement is flooding now",
      source: "form",
      phone: "+15550001111",
    });
    assert.ok(score.score >= 70, `score ${score.score}`);
    assert.equal(score.urgency, 100);
    const urgency = score.reasons.find((r) => r.startsWith("urgent words:"));
    assert.ok(urgency?.includes("burst") && urgency.includes("flood"), score.reasons.join("; "));
  });

  it("scores a casual lead low and says it heard no urgency", async () => {
    const score = await scoreLead({ name: "Casey", message: "just browsing, maybe next year", source: "form" });
    assert.ok(score.score < 50, `score ${score.score}`);
    assert.ok(score.reasons.includes("no urgency words"), score.reasons.join("; "));
    assert.ok(score.reasons.every((r) => !/reasons\d/.test(r)));
  });

  it("reads the lead, not the repair instructions, when asked a second time", async () => {
    const prompt =
      `Lead:\n${JSON.stringify({ name: "Rita", message: "need a quote, no rush", phone: null })}` +
      "\n\nYour previous answer was rejected: score must be an integer.\nAnswer again with JSON that matches the schema exactly.";
    const score = JSON.parse((await generate([{ text: prompt }], leadScoreSchema)).text) as { reasons: string[] };
    assert.deepEqual(score.reasons, ["no urgency words", "talks about money: quote", "no phone number"]);
  });
});

describe("the Gemini simulator's call analyses", () => {
  it("summarises the customer's own sentences and derives intent, urgency and key points from them", async () => {
    const analysis = await analyze(
      "Transcript:\nOwner: Hello, Ace Plumbing.\n" +
        "Customer: Our water heater is broken and there is no hot water. We need someone today.\n" +
        "Owner: I can come at two. It costs about $150.\n",
    );
    assert.equal(analysis.summary, "Our water heater is broken and there is no hot water. We need someone today.");
    assert.equal(analysis.customerIntent, "urgent repair");
    assert.equal(analysis.urgency, "high");
    assert.ok(analysis.keyPoints.includes("It costs about $150."), analysis.keyPoints.join(" | "));
    assert.ok(!analysis.nextSteps.some((step) => /nextSteps\d/.test(step)));
  });

  it("leaves the repair instructions out of the summary", async () => {
    const analysis = await analyze(
      "Transcript:\nCustomer: Can I get a price for a new tap? Thanks.\n\n" +
        "Your previous answer was rejected: summary is required.\nAnswer again with JSON that matches the schema exactly.",
    );
    assert.equal(analysis.summary, "Can I get a price for a new tap? Thanks.");
    assert.equal(analysis.customerIntent, "price enquiry");
    assert.equal(analysis.sentiment, "positive");
  });
});

describe("the Gemini simulator's transcripts", () => {
  it("transcribes a silent recording as no words, never as a conversation nobody had", async () => {
    assert.equal((await transcribe(30)).text, "");
  });

  it("transcribes the words the Twilio simulator's scripted people said, in the order they spoke", async () => {
    const said = ["Hello, returning your call about the boiler.", "Thanks, it stopped heating last night."];
    const recording = recordingWav(20, said).toString("base64");
    assert.equal((await transcribeAudio(recording)).text, said.join("\n"));
  });

  it("counts audio tokens by the second and text tokens by length", async () => {
    const ten = await transcribe(10);
    const twenty = await transcribe(20);
    // Gemini's rate: 32 tokens a second of audio.
    assert.equal(twenty.body.usageMetadata.promptTokenCount - ten.body.usageMetadata.promptTokenCount, 320);
    const usage = ten.body.usageMetadata;
    assert.equal(usage.candidatesTokenCount, Math.ceil(ten.text.length / 4));
    assert.equal(usage.totalTokenCount, usage.promptTokenCount + usage.candidatesTokenCount);
  });
});

describe("the Gemini simulator's scripted faults", () => {
  it("breaks only the next answer to a prompt that contains the match", async () => {
    const match = `lead-${Date.now()}`;
    await fetch(`${baseUrl}/_sim/next`, { method: "POST", body: JSON.stringify({ malformed: true, match }) });
    const other = await generate([{ text: `Lead:\n${JSON.stringify({ name: "Other" })}` }], leadScoreSchema);
    assert.doesNotThrow(() => JSON.parse(other.text));
    const broken = await generate([{ text: `Lead:\n${JSON.stringify({ name: match })}` }], leadScoreSchema);
    assert.throws(() => JSON.parse(broken.text));
    const again = await generate([{ text: `Lead:\n${JSON.stringify({ name: match })}` }], leadScoreSchema);
    assert.doesNotThrow(() => JSON.parse(again.text));
  });

  it("answers a scripted 429 as Google's RESOURCE_EXHAUSTED", async () => {
    const match = `busy-${Date.now()}`;
    await fetch(`${baseUrl}/_sim/next`, { method: "POST", body: JSON.stringify({ status: 429, match }) });
    const { status, body } = await generate([{ text: `Lead:\n${JSON.stringify({ name: match })}` }], leadScoreSchema);
    assert.equal(status, 429);
    assert.equal((body as unknown as { error: { status: string } }).error.status, "RESOURCE_EXHAUSTED");
  });
});
