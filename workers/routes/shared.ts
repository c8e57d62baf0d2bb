import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../context";
import { BODY_LIMITS, bodyLimit } from "../middleware/body-limit";
import { guard } from "../middleware/guard";
import { idempotency } from "../middleware/idempotency";
import type { RoutePolicy } from "../middleware/policy";
import { type ServicesEnv, services } from "../middleware/services";
import { describeBytes, Problem } from "../problems";

const problemSchema = z
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

/** An answer in the OpenAPI document that is a problem document. */
export const problem = (description: string) => ({
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

/** A keyed write's 422 is also the ledger's answer to a key reused for another request. */
const keyedValidationError = problem(
  "Validation failed (`errors` names each field), or the Idempotency-Key was used before for another request",
);

/** A route that spends (texts, AI) is refused when the project's monthly cap is reached (services/spend-gate.ts). */
export const spendCapError = {
  402: problem("The project's monthly spend cap is reached; raise it (PUT /api/v1/projects/{id}/spend-cap) to resume"),
} as const;

/** A route that needs an optional service (Twilio, the secrets key) this deployment was not given. */
export const notConfiguredError = {
  503: problem("A service this route needs is not configured on this deployment; `detail` names it"),
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

/** `If-Match: "7"` → 7. Writes without it are refused: a blind overwrite is how edits get lost. */
export function requiredVersion<E extends AppEnv>(c: Context<E>): number {
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

/** A route's OpenAPI description, less what `defineRoute` writes from its policy. */
type RouteSpec = Omit<RouteConfig, "middleware" | "x-apex-policy">;

interface RouteOptions {
  /**
   * A guarded write that takes no Idempotency-Key says so here, on purpose;
   * one that declares the header (idempotencyKeyHeader, ifMatchHeader) gets
   * the ledger without asking.
   */
  naturallyIdempotent?: string;
  /**
   * The largest request body this route takes, in bytes (BODY_LIMITS); a
   * larger one is a 413 before it is read. Default: BODY_LIMITS.json. Stated
   * in the OpenAPI document's 413 answer.
   */
  bodyLimit?: number;
  /** This route's own middleware, run after the standard ones. */
  middleware?: MiddlewareHandler<AppEnv>[];
}

/** A policy that may be public gives its handler no caller and no services. */
type IsGuarded<Policy extends RoutePolicy> = "public" extends Policy["role"] ? false : true;

type DefinedRoute<Policy extends RoutePolicy, Spec extends RouteSpec> = Spec & {
  "x-apex-policy": RoutePolicy;
  // Typed as one middleware: @hono/zod-openapi reads the handler's variables (`c.get("services")`) from it.
  middleware: IsGuarded<Policy> extends true ? [MiddlewareHandler<ServicesEnv>] : MiddlewareHandler<AppEnv>[];
  responses: IsGuarded<Policy> extends true ? Spec["responses"] & typeof guardedErrors : Spec["responses"];
};

function declaresHeader(spec: RouteSpec, name: string): boolean {
  const headers = spec.request?.headers;
  return headers instanceof z.ZodObject && name in headers.shape;
}

const acceptsIdempotencyKey = (spec: RouteSpec) => declaresHeader(spec, "idempotency-key");

/**
 * The answers a route really gives because of what it declares, so the
 * document cannot forget them: a JSON body can be malformed (400, field
 * `(body)`) or sent as another media type (415, from @hono/zod-openapi's
 * media-type gate); a header this API parses can be malformed (400 naming
 * it); any body can be too large (413); an Idempotency-Key can still be in
 * flight (409, middleware/idempotency.ts); an If-Match can be stale (412) or
 * missing (428, requiredVersion). A route's own description of a status wins.
 */
function requestErrors(spec: RouteSpec, limitBytes: number, takesBody: boolean) {
  const content = spec.request?.body?.content ?? {};
  const mediaTypes = Object.keys(content);
  const takesKey = declaresHeader(spec, "idempotency-key");
  const takesVersion = declaresHeader(spec, "if-match");
  const malformed = [
    ...(mediaTypes.some((type) => type.includes("json")) ? ["a malformed JSON body (field `(body)`)"] : []),
    ...(takesKey ? ["a malformed Idempotency-Key"] : []),
    ...(takesVersion ? ["a malformed If-Match"] : []),
  ];
  const limit = `${describeBytes(limitBytes)} (${limitBytes} bytes)`;
  return {
    ...(malformed.length > 0 ? { 400: problem(`Bad request: ${malformed.join(", ")}`) } : {}),
    ...(takesKey ? { 409: conflictErrors[409], 422: keyedValidationError } : {}),
    ...(takesVersion ? { 412: conflictErrors[412], 428: conflictErrors[428] } : {}),
    ...(takesBody ? { 413: problem(`The request body is larger than this route's limit of ${limit}`) } : {}),
    ...(mediaTypes.length > 0 ? { 415: problem(`Content-Type is not ${mediaTypes.join(" or ")}`) } : {}),
  };
}

/**
 * Every route is declared through here, so none can forget its policy: it is
 * published as `x-apex-policy` and enforced by `guard(policy)` from the one
 * object. A guarded route also gets its services built (`c.get("services")`),
 * the error answers every guard can give, and, for writes that declare
 * Idempotency-Key, the idempotency ledger (decision 013). A guarded write
 * that declares no key must say why a repeat changes nothing
 * (`naturallyIdempotent`, published as `x-apex-idempotent`); this throws when
 * the app is built otherwise, so the choice is always written down. Every
 * route, first of all, refuses a body over its limit (`bodyLimit`) with 413,
 * and the 400/409/412/413/415/422/428 answers its declarations imply are
 * published beside the others.
 */
export function defineRoute<
  const Policy extends RoutePolicy,
  Path extends string,
  Spec extends RouteSpec & { path: Path },
>(policy: Policy, spec: Spec, options: RouteOptions = {}): DefinedRoute<Policy, Spec> & { getRoutingPath(): string } {
  const guarded = policy.role !== "public";
  const takesKey = acceptsIdempotencyKey(spec);
  const where = `${spec.method.toUpperCase()} ${spec.path}`;
  if (takesKey && (policy.risk === "READ" || !guarded || options.naturallyIdempotent !== undefined)) {
    throw new Error(`${where} declares Idempotency-Key but would not honour it`);
  }
  if (guarded && policy.risk !== "READ" && !takesKey && !options.naturallyIdempotent) {
    throw new Error(`${where} is a write: declare Idempotency-Key or say why a repeat changes nothing`);
  }
  // Every route has a limit, bodies declared or not: the idempotency ledger hashes whatever body a write carries.
  const limitBytes = options.bodyLimit ?? BODY_LIMITS.json;
  const takesBody = spec.request?.body !== undefined || options.bodyLimit !== undefined;
  const standard = guarded ? [guard(policy), services, ...(takesKey ? [idempotency] : [])] : [guard(policy)];
  const route = createRoute({
    ...spec,
    ...(options.naturallyIdempotent
      ? {
          // Published so a client knows a retry is safe without a key, and why.
          "x-apex-idempotent": options.naturallyIdempotent,
          description: [spec.description, `Safe to retry without an Idempotency-Key: ${options.naturallyIdempotent}`]
            .filter(Boolean)
            .join("\n\n"),
        }
      : {}),
    "x-apex-policy": policy,
    middleware: [bodyLimit(limitBytes), ...standard, ...(options.middleware ?? [])],
    responses: {
      ...(guarded ? guardedErrors : {}),
      ...requestErrors(spec, limitBytes, takesBody),
      ...spec.responses,
    },
  });
  return route as unknown as DefinedRoute<Policy, Spec> & { getRoutingPath(): string };
}
