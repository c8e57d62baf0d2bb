import type { PostFields } from "../../hunter/platforms/platform";
import { postFromFields } from "../../hunter/post-rules";
import { Problem } from "../../problems";
import { writePageByRules } from "../../seo/writer-rules";
import { analyzeCallByRules, scoreLeadByRules } from "../rules-engine";
import type { GenerateRequest, LlmProvider, ProviderAnswer } from "../types";

function cannot(what: string): Problem {
  return new Problem({
    status: 424,
    code: "llm-not-configured",
    title: "No LLM provider configured",
    detail: `The rule-based provider cannot ${what}. Configure Gemini or an OpenAI-compatible endpoint in /api/v1/settings/llm.`,
  });
}

/**
 * The provider that needs no key: the rules in ../rules-engine for the two
 * tasks rules can do honestly — scoring a lead, analyzing a call's text,
 * reading a hunted post from the fields its board's markup gives, and
 * writing a pSEO page from the DNA alone. It
 * transcribes nothing, embeds nothing and writes nothing else, and says so.
 */
export const rulesProvider: LlmProvider = {
  name: "rules",
  async generate(request: GenerateRequest): Promise<ProviderAnswer> {
    const input = request.input ?? {};
    let value: unknown;
    if (request.task === "lead_scorer") value = scoreLeadByRules(input);
    else if (request.task === "analyze_call") value = analyzeCallByRules(input);
    else if (request.task === "hunt_extract" && input.fields) value = postFromFields(input.fields as PostFields);
    else if (request.task === "write_pages" && input.dna && input.cluster) {
      value = writePageByRules(input as unknown as Parameters<typeof writePageByRules>[0]);
    } else throw cannot(`do "${request.task}"`);
    return { text: JSON.stringify(value), usage: { inputTokens: 0, outputTokens: 0 }, model: "rules-v1" };
  },
  async transcribe() {
    throw cannot("transcribe audio: no transcription provider is configured");
  },
  async embed() {
    throw cannot("compute embeddings");
  },
};
