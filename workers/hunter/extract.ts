import { z } from "zod";
import { generateStructured } from "../llm/gateway";
import type { ServiceContext } from "../service-context";
import type { PostFields } from "./platforms/platform";
import type { ExtractedPost } from "./post-rules";

/**
 * A post page → the fields of a hunted lead, through the LLM gateway (zod
 * schema, one repair, tokens in the usage ledger). With no model configured,
 * or with paid AI shed at the spend cap, the gateway's rule-based provider
 * answers with what the board's own markup said (the adapter's selectors,
 * `fields`), so the hunter finds leads on a stack without a key.
 */
export const extractedPostSchema = z.object({
  title: z.string().trim().min(1).max(200),
  description: z.string().max(4_000),
  place: z.string().max(200).nullable(),
  urgency: z.enum(["emergency", "soon", "flexible", "unknown"]),
  postedAt: z.string().max(40).nullable(),
  contact: z.object({ phone: z.string().max(40).nullable(), email: z.string().max(200).nullable() }),
  canonicalUrl: z.string().max(2_000).nullable(),
}) satisfies z.ZodType<ExtractedPost>;

export const HUNT_EXTRACT_PROMPT_VERSION = "hunt-extract/1";

/** The page text a model reads is cut here: a post is short; a page that is not is mostly noise. */
const MAX_PAGE_TEXT = 8_000;

export async function extractPost(
  page: { url: string; text: string; fields: PostFields },
  business: { places: string[] },
  context: Pick<ServiceContext, "env" | "db" | "actor"> & { projectId: string; runKey: string },
): Promise<{ post: ExtractedPost; provider: string; model: string }> {
  const text = page.text.slice(0, MAX_PAGE_TEXT);
  const result = await generateStructured(
    extractedPostSchema,
    {
      task: "hunt_extract",
      system:
        "You read one job post from a public job board for a local service business. " +
        "Extract only what the post itself says; use null where it says nothing. " +
        "Contact details only if the poster published them on the page. Answer only with JSON for the given schema.",
      prompt: `Places the business serves: ${business.places.join(", ") || "(any)"}\nPage URL: ${page.url}\nPage text:\n<<<\n${text}\n>>>`,
      input: { fields: page.fields, url: page.url },
    },
    context,
  );
  return { post: result.value, provider: result.provider, model: result.model };
}
