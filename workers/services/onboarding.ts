import { z } from "zod";
import { dnaSchema } from "../dna/schema";
import { generateStructured } from "../llm/gateway";
import { TransientLlmError } from "../llm/types";
import { fetchOutbound } from "../outbound/fetch";
import { Problem } from "../problems";
import { onboardingParams } from "../queue/tasks";
import type { ServiceContext } from "../service-context";
import { DAYS } from "../speed-to-lead/settings";
import { getDna, putDnaLayer } from "./dna";
import { resolveLlm } from "./llm-settings";
import { draftByRules, type SiteBlock } from "./onboarding-rules";
import { spendGate } from "./spend-gate";

/**
 * Onboarding: from a business name, its website and a few answers, a first
 * draft of the `generated` DNA layer; the owner reviews it and edits the
 * `custom` layer over it. The model drafts when one is configured, reachable
 * and within the spend cap; otherwise rules draft what the site states
 * (./onboarding-rules.ts) and the result says why and what they could not
 * find — a first run must work with no key, and near the cap it costs nothing.
 */
/** The task's params (workers/queue/tasks.ts): the one schema the API, the queue and this service share. */
const onboardingInput = onboardingParams;

/** What the model drafts: the parts of DNA a website can tell; module settings stay with people. */
const generatedDnaSchema = dnaSchema
  .pick({ identity: true, services: true, geoScope: true })
  // Optional: a voice the site does not show would be invented; the defaults keep one.
  .extend({ brandBrain: dnaSchema.shape.brandBrain.partial().optional() });

const MAX_SITE_TEXT = 8_000;
/** Enough for http → https and apex → www, each hop checked against the policy. */
const MAX_SITE_REDIRECTS = 5;

const BLOCK_TAGS = ["title", "h1", "h2", "h3", "p", "li"];

/**
 * The readable blocks of a page — title, headings, paragraphs, list items —
 * each with its tag (the rule-based drafter reads services only from
 * headings and list items), never script or style. A URL or redirect the
 * outbound policy refuses is a 422 naming params.websiteUrl; a failed answer
 * is reported by status only.
 */
export async function siteBlocks(url: string, appEnv: string): Promise<SiteBlock[]> {
  const response = await fetchOutbound(
    url,
    { headers: { "user-agent": "Apex-Onboarding/1" } },
    { appEnv, field: "params.websiteUrl", what: "the website", maxRedirects: MAX_SITE_REDIRECTS },
  );
  const blocks: SiteBlock[] = [];
  // Open blocks, innermost last: text goes to the innermost. A block a page never closes (`<li>` without
  // `</li>`) ends where the next one starts, so its text is not glued to what follows.
  const open: { tag: string; parts: string[] }[] = [];
  let size = 0;
  let skip = 0;
  const flush = (block: { tag: string; parts: string[] }) => {
    const text = block.parts.join("").replace(/\s+/g, " ").trim();
    block.parts = [];
    if (!text || size > MAX_SITE_TEXT) return;
    blocks.push({ tag: block.tag, text: text.slice(0, MAX_SITE_TEXT - size) });
    size += text.length;
  };
  const rewriter = new HTMLRewriter()
    .on("script, style, noscript", {
      element(element) {
        skip += 1;
        element.onEndTag(() => {
          skip -= 1;
        });
      },
    })
    .on(BLOCK_TAGS.join(", "), {
      element(element) {
        const current = open.at(-1);
        if (current) flush(current);
        const block = { tag: element.tagName.toLowerCase(), parts: [] as string[] };
        open.push(block);
        element.onEndTag(() => {
          flush(block);
          open.splice(open.lastIndexOf(block), 1);
        });
      },
    })
    .onDocument({
      text(chunk) {
        if (skip > 0) return;
        open.at(-1)?.parts.push(chunk.text);
      },
      end() {
        for (const block of open) flush(block);
      },
    })
    .transform(response);
  await rewriter.text();
  return blocks;
}

/** The page as text, a block a line: what the model reads. */
export async function siteText(url: string, appEnv: string): Promise<string> {
  return textOf(await siteBlocks(url, appEnv));
}

/** A block a line, marked as the page marked it: "# " a heading, "- " a list item, else a paragraph. */
const textOf = (blocks: SiteBlock[]) =>
  blocks
    .map((b) => `${/^h[1-6]$/.test(b.tag) ? "# " : b.tag === "li" ? "- " : ""}${b.text}`)
    .join("\n")
    .slice(0, MAX_SITE_TEXT);

type OnboardingContext = Pick<ServiceContext, "env" | "db" | "actor"> & {
  runKey: string;
  progress(percent: number, message: string): Promise<void>;
};

/** Why the rules drafted instead of a model; `shed` when the spend gate shed the paid model (as the gateway says it). */
interface RulesReason {
  why: string;
  shed?: { reason: string; detail: string };
}

/**
 * Who drafts: the model, or the rules and why. Mirrors the gateway's own
 * order (llm/gateway.ts `prepare`): the tenant's provider, its key, then the
 * spend gate — except that at the cap onboarding falls back to rules rather
 * than refusing, because a business must be able to finish setting up.
 */
async function drafter(projectId: string, context: OnboardingContext): Promise<RulesReason | null> {
  const resolved = await resolveLlm(context);
  if (resolved.provider === "rules") return { why: "No AI model is configured: drafted by rules from the website." };
  if (!resolved.apiKey) return { why: `No API key for ${resolved.provider}: drafted by rules from the website.` };
  const decision = await spendGate(projectId, "optional-ai", context);
  if (decision.allowed) return null;
  return {
    why: `${decision.detail} Drafted by the free rule-based drafter instead.`,
    shed: { reason: decision.reason, detail: decision.detail },
  };
}

/** The model could not be reached (retries spent, or the network failed): worth drafting by rules instead. */
const unreachable = (error: unknown) => error instanceof TransientLlmError || error instanceof TypeError;

export async function onboard(
  input: z.infer<typeof onboardingInput>,
  context: OnboardingContext,
): Promise<OnboardingResult> {
  await context.progress(10, input.websiteUrl ? `reading ${input.websiteUrl}` : "no website given");
  const blocks = input.websiteUrl ? await siteBlocks(input.websiteUrl, context.env.APP_ENV) : [];
  let rules = await drafter(input.projectId, context);
  if (!rules) {
    await context.progress(40, "drafting the DNA");
    const drafted = await askModel(input, textOf(blocks), context);
    if ("value" in drafted) {
      await context.progress(80, "validating and storing the generated layer");
      const current = await getDna(input.projectId, context);
      const saved = await putDnaLayer(input.projectId, "generated", drafted.value, current.versions.generated, context);
      return {
        version: saved.versions.generated,
        services: saved.dna.services.length,
        model: drafted.model,
        provider: drafted.provider,
        drafter: "model",
      };
    }
    rules = drafted;
  }
  await context.progress(40, rules.why);
  return draftWithRules(input, blocks, rules, context);
}

/** The model's draft, or — when the model cannot be reached — why the rules draft instead. */
async function askModel(input: z.infer<typeof onboardingInput>, site: string, context: OnboardingContext) {
  const answers = Object.entries(input.answers)
    .map(([q, a]) => `- ${q}: ${a}`)
    .join("\n");
  try {
    return await generateStructured(
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
  } catch (error) {
    // The cap crossed between our check and the gateway's: shed, as above, not refused.
    if (error instanceof Problem && error.code === "spend-cap-reached") {
      const detail = error.detail ?? error.title;
      return {
        why: `${detail} Drafted by the free rule-based drafter instead.`,
        shed: { reason: "spend-cap", detail },
      };
    }
    if (!unreachable(error)) throw error;
    // Not the provider's own words: they may quote a tenant's endpoint.
    return { why: "The AI model could not be reached: drafted by rules from the website." } satisfies RulesReason;
  }
}

/**
 * The rules' draft: identity, services and places go to the generated layer;
 * the hours and phones found ride in the result for the owner to confirm
 * (the bridge obeys business hours, so hours take effect only once a person
 * saves them), with what the rules could not find.
 */
async function draftWithRules(
  input: z.infer<typeof onboardingInput>,
  blocks: SiteBlock[],
  reason: RulesReason,
  context: OnboardingContext,
): Promise<OnboardingResult> {
  const current = await getDna(input.projectId, context);
  const draft = draftByRules({
    businessName: input.businessName,
    websiteUrl: input.websiteUrl,
    blocks,
    defaultCountry: current.dna.modules.speedToLead.defaultCountry,
  });
  await context.progress(80, "validating and storing the generated layer");
  const saved = await putDnaLayer(input.projectId, "generated", draft.layer, current.versions.generated, context);
  return {
    version: saved.versions.generated,
    services: saved.dna.services.length,
    model: "rules-v1",
    provider: "rules",
    drafter: "rules",
    why: reason.why,
    ...(reason.shed ? { shed: reason.shed } : {}),
    phones: draft.phones,
    hours: draft.hours,
    notFound: draft.notFound,
  };
}

const clock = z.string().regex(/^\d{2}:\d{2}$/);

/**
 * What an onboarding ticket's result holds. Results are read back as JSON
 * (the welcome wizard reads the draft's hours, phones and gaps from it), so
 * the schema is the type.
 */
export const onboardingResultSchema = z.object({
  version: z.number(),
  services: z.number(),
  model: z.string(),
  provider: z.string(),
  drafter: z.enum(["model", "rules"]),
  why: z.string().optional(),
  shed: z.object({ reason: z.string(), detail: z.string() }).optional(),
  phones: z.array(z.string()).optional(),
  hours: z
    .union([
      z.object({ always: z.literal(true), said: z.string() }),
      z.object({
        always: z.literal(false),
        week: z.partialRecord(z.enum(DAYS), z.array(z.tuple([clock, clock]))),
      }),
    ])
    .nullable()
    .optional(),
  notFound: z.array(z.string()).optional(),
});

export type OnboardingResult = z.infer<typeof onboardingResultSchema>;
