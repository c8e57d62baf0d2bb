/**
 * Every error Apex answers is an RFC 9457 problem document. Code throws a
 * `Problem`; one handler (workers/middleware/problems.ts) renders it.
 */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface FieldError {
  /** Dotted path of the offending field, e.g. `data.phone`. */
  field: string;
  message: string;
}

/**
 * zod issues → field errors, the one mapping: the dotted path names the field
 * a client must fix, under `prefix` (`data`, `params`) when the value sat
 * inside a larger body; an issue about the whole value names `(body)`.
 */
export function zodFieldErrors(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix = "",
  whole = "(body)",
): FieldError[] {
  return issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || whole,
    message: issue.message,
  }));
}

interface ProblemInit {
  status: number;
  /** Stable, machine-readable code; the `type` URI is derived from it. */
  code: string;
  title: string;
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

export class Problem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(init: ProblemInit) {
    super(init.detail ?? init.title);
    this.name = "Problem";
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = init.headers ?? {};
  }
}

function problemType(code: string): string {
  return `urn:apex:problem:${code}`;
}

export function problemBody(problem: Problem, instance: string, requestId: string): Record<string, unknown> {
  return {
    type: problemType(problem.code),
    title: problem.title,
    status: problem.status,
    ...(problem.detail ? { detail: problem.detail } : {}),
    instance,
    requestId,
    ...(problem.errors ? { errors: problem.errors } : {}),
  };
}

/** 262144 → "256 KiB": limits are stated in the units people set them in. */
export function describeBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

export const problems = {
  notFound: (detail = "No resource lives at this address.") =>
    new Problem({ status: 404, code: "not-found", title: "Not Found", detail }),
  invalidJson: (detail: string) =>
    new Problem({
      status: 400,
      code: "invalid-json",
      title: "Malformed request body",
      detail,
      errors: [{ field: "(body)", message: "is not valid JSON" }],
    }),
  /** Refused before the body is read whole: a size the route never takes cannot cost a write, or memory. */
  payloadTooLarge: (limitBytes: number) =>
    new Problem({
      status: 413,
      code: "payload-too-large",
      title: "Payload Too Large",
      detail: `This route takes request bodies of at most ${describeBytes(limitBytes)} (${limitBytes} bytes).`,
      errors: [{ field: "(body)", message: `larger than ${limitBytes} bytes` }],
    }),
  unsupportedMediaType: (accepted: string) =>
    new Problem({
      status: 415,
      code: "unsupported-media-type",
      title: "Unsupported Media Type",
      detail: `Send the body as ${accepted}, with that Content-Type.`,
      errors: [{ field: "Content-Type", message: `must be ${accepted}` }],
    }),
  validation: (errors: FieldError[]) =>
    new Problem({
      status: 422,
      code: "validation",
      title: "Request failed validation",
      detail: errors.map((e) => `${e.field}: ${e.message}`).join("; "),
      errors,
    }),
  unauthorized: (detail: string) =>
    new Problem({
      status: 401,
      code: "unauthorized",
      title: "Unauthorized",
      detail,
      headers: { "WWW-Authenticate": 'Bearer realm="apex"' },
    }),
  conflict: (code: string, detail: string) => new Problem({ status: 409, code, title: "Conflict", detail }),
  /** A write with a stale If-Match: `what` changed since the caller read it. */
  versionMismatch: (what: string, current: number) =>
    new Problem({
      status: 412,
      code: "version-mismatch",
      title: "Precondition Failed",
      detail: `${what} changed since you read it; it is at version ${current}. Read it again and retry.`,
    }),
  internal: () =>
    new Problem({
      status: 500,
      code: "internal",
      title: "Internal Server Error",
      detail: "Something failed on our side; the request id identifies it in our logs.",
    }),
};
