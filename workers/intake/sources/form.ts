import { z } from "zod";
import { leadFromFields } from "./fields";
import type { LeadSourceDefinition } from "./source";

/** Any other form (a landing page, Zapier): JSON or a form post, with the project's form token. */
export const form = {
  id: "form",
  label: "form",
  secretLabel: "form token",
  secretUse: "Send it as Authorization: Bearer <token>, or as ?token= in the webhook address.",
  ownerMayChooseSecret: false,
  secretSchema: z.string().min(16).max(200),
  proofFrom: (request) => request.header("authorization")?.replace(/^Bearer\s+/i, "") ?? request.query("token"),
  refusal: "The form token is missing or wrong.",
  normalize: leadFromFields,
} as const satisfies LeadSourceDefinition;
