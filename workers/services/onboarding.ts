import type { z } from "zod";
import { dnaSchema } from "../dna/schema";
import { generateStructured } from "../llm/gateway";
import { fetchOutbound } from "../outbound/fetch";
import { onboardingParams } from "../queue/tasks";
import type { ServiceContext } from "../service-context";
import { getDna, putDnaLayer } from "./dna";

/**
 * Onboarding: from a business name, its website and a
 * few answers, the LLM drafts the `generated` DNA layer; the owner reviews it
 * and edits the `custom` layer over it.
 */
/** The task's params (workers/queue/tasks.ts): the one schema the API, the queue and this service share. */
const onboardingInput = onboardingParams;

/** What the model drafts: the parts of DNA a website can tell; module settings stay with people. */
const generatedDnaSchema = dnaSchema.pick({ identity: true, brandBrain: true, services: true, geoScope: true });

const MAX_SITE_TEXT = 8_000;
/** Enough for http → https and apex → www, each hop checked against the policy. */
const MAX_SITE_REDIRECTS = 5;

/**
 * The readable text of a page: headings, paragraphs, list items — never
 * script or style. A URL or redirect the outbound policy refuses is a 422
 * naming params.websiteUrl; a failed answer is reported by status only.
 */
export async function siteText(url: string, appEnv: string): Promise<string> {
  const response = await fetchOutbound(
    url,
    { headers: { "user-agent": "Apex-Onboarding/1" } },
    { appEnv, field: "params.websiteUrl", what: "the website", maxRedirects: MAX_SITE_REDIRECTS },
  );
  const chunks: string[] = [];
  let size = 0;
  let skip = 0;
  const rewritten = new HTMLRewriter()
    .on("script, style, noscript", {
      element(element) {
        skip += 1;
        element.onEndTag(() => {
          skip -= 1;
        });
      },
    })
    .on("title, h1, h2, h3, p, li", {
      text(chunk) {
        if (skip > 0 || size > MAX_SITE_TEXT) return;
        chunks.push(chunk.text);
        size += chunk.text.length;
        if (chunk.lastInTextNode) chunks.push("\n");
      },
    })
    .transform(response);
  await rewritten.text();
  return chunks
    .join("")
    .replace(/[ \t]+/g, " ")
    .replace(/\n\s*\n+/g, "\n")
    .trim()
    .slice(0, MAX_SITE_TEXT);
}

export async function onboard(
  input: z.infer<typeof onboardingInput>,
  context: Pick<ServiceContext, "env" | "db" | "actor"> & {
    runKey: string;
    progress(percent: number, message: string): Promise<void>;
  },
) {
  await context.progress(10, input.websiteUrl ? `reading ${input.websiteUrl}` : "no website given");
  const site = input.websiteUrl ? await siteText(input.websiteUrl, context.env.APP_ENV) : "";
  await context.progress(40, "drafting the DNA");
  const answers = Object.entries(input.answers)
    .map(([q, a]) => `- ${q}: ${a}`)
    .join("\n");
  const draft = await generateStructured(
    generatedDnaSchema,
    {
      task: "onboarding",
      system:
        "You set up a marketing and sales profile (DNA) for a local service business. Use only facts from the " +
        "website text and the owner's answers; leave lists empty rather than inventing. Service slugs are lowercase-with-dashes.",
      prompt: `Business name: ${input.businessName}\nOwner's answers:\n${answers || "(none)"}\nWebsite text:\n${site || "(none)"}`,
    },
    { ...context, projectId: input.projectId },
  );
  await context.progress(80, "validating and storing the generated layer");
  const current = await getDna(input.projectId, context);
  const saved = await putDnaLayer(input.projectId, "generated", draft.value, current.versions.generated, context);
  return {
    version: saved.versions.generated,
    services: saved.dna.services.length,
    model: draft.model,
    provider: draft.provider,
  };
}
