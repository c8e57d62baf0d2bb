import { z } from "zod";
import { leadFromFields } from "./fields";
import type { LeadSourceDefinition } from "./source";

/** A WordPress site's form plugin (or Apex's own plugin): JSON or a form post, with the project's shared secret. */
export const wordpress = {
  id: "wordpress",
  label: "your website",
  secretLabel: "WordPress secret",
  secretUse: "Send it in the X-Apex-Secret header, or as ?secret= in the webhook address.",
  ownerMayChooseSecret: false,
  secretSchema: z.string().min(16).max(200),
  proofFrom: (request) => request.header("x-apex-secret") ?? request.query("secret"),
  refusal: "The WordPress secret is missing or wrong.",
  normalize: leadFromFields,
} as const satisfies LeadSourceDefinition;
