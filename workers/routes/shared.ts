import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv, RequestActor } from "../context";
import { Problem } from "../problems";

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number(),
    detail: z.string().optional(),
    instance: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: problemSchema } },
});

/** The error answers every guarded route can give. */
export const guardedErrors = {
  401: problem("Not authenticated"),
  403: problem("Authenticated, but the role is too low"),
  422: problem("Validation failed; `errors` names each field"),
  429: problem("Rate limited; see Retry-After"),
} as const;

export const notFoundError = { 404: problem("No such resource in this tenant") } as const;
export const conflictErrors = {
  409: problem("Idempotency-Key still in flight"),
  412: problem("If-Match does not match the current version"),
  428: problem("If-Match is required"),
} as const;

/** `{id}` in a path: a uuid, or the request is a 422 naming `id`. */
export const idParam = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });

export const idempotencyKeyHeader = z.object({
  "idempotency-key": z
    .string()
    .optional()
    .openapi({ description: "Makes the request safe to retry: same key + same request → same response" }),
});

/** Writes that compare-and-set: If-Match (required, checked by requiredVersion) and Idempotency-Key. */
export const ifMatchHeader = idempotencyKeyHeader.extend({
  "if-match": z.string().optional().openapi({ description: 'Required: the ETag you read, e.g. "3"' }),
});

export function actorOf(c: Context<AppEnv>): RequestActor {
  const auth = c.get("auth");
  if (!auth) throw new Error("actorOf called on a route without a guard");
  return {
    auth,
    requestId: c.get("requestId"),
    clientRequestId: c.get("clientRequestId"),
    ip: c.req.header("cf-connecting-ip") ?? null,
  };
}

/** `If-Match: "7"` → 7. Writes without it are refused: a blind overwrite is how edits get lost. */
export function requiredVersion(c: Context<AppEnv>): number {
  const header = c.req.header("if-match");
  if (!header) {
    throw new Problem({
      status: 428,
      code: "if-match-required",
      title: "Precondition Required",
      detail: "Send If-Match with the ETag you read, so a stale write cannot overwrite a newer one.",
      errors: [{ field: "If-Match", message: "required" }],
    });
  }
  const match = /^(?:W\/)?"(\d+)"$/.exec(header.trim());
  if (!match) {
    throw new Problem({
      status: 400,
      code: "invalid-if-match",
      title: "Invalid If-Match",
      detail: 'If-Match must be an ETag from this API, like "3".',
      errors: [{ field: "If-Match", message: 'must look like "3"' }],
    });
  }
  return Number(match[1]);
}

export const etag = (version: number) => `"${version}"`;
