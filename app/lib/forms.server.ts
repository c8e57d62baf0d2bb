import { data } from "@remix-run/cloudflare";
import type { z } from "zod";
import { createLogger, describeError } from "../../workers/logger";
import { Problem, zodFieldErrors } from "../../workers/problems";

/**
 * How a form action reads and answers, so every form behaves like the API:
 * the body is read only as a form (posts from other sites never get here,
 * workers/ui-session.ts crossSiteRefusal); fields are
 * parsed with zod before any service runs; whatever goes wrong becomes a
 * message the form can show — a problem's own words, or for anything else a
 * generic sentence (the real error goes to the log, never into the page).
 */
interface FormFailure {
  error: string;
  fields: Record<string, string>;
}

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

/** The posted form; 415 when the body is not a form, 400 when it does not parse. */
export async function readForm(request: Request): Promise<FormData> {
  if (!FORM_TYPES.test(request.headers.get("content-type") ?? "")) {
    throw new Response("Send this as a form.", { status: 415 });
  }
  try {
    return await request.formData();
  } catch {
    throw new Response("The form could not be read.", { status: 400 });
  }
}

/** A form's fields as `schema` has them, or what to show instead (answer it with `invalid`). */
export function parseForm<T extends z.ZodType>(
  schema: T,
  fields: Record<string, unknown>,
): { ok: true; data: z.output<T> } | { ok: false; failure: FormFailure } {
  const parsed = schema.safeParse(fields);
  if (parsed.success) return { ok: true, data: parsed.data };
  const errors = zodFieldErrors(parsed.error.issues);
  return { ok: false, failure: { error: `Check ${errors.map((e) => e.field).join(", ")}.`, fields: fieldMap(errors) } };
}

/** A form's single-valued fields; repeated names (checkboxes) are read with `form.getAll`. */
export const formFields = (form: FormData): Record<string, unknown> => Object.fromEntries(form);

/** The answer to a form that failed `parseForm`: 422, with whatever else the page's result carries. */
export function invalid<Extra extends object = Record<never, never>>(failed: FormFailure, extra?: Extra) {
  return data({ ...failed, ...(extra as Extra) }, { status: 422 });
}

/**
 * The answer to a form whose service threw: the problem's words and status,
 * or a generic 500. `conflict` replaces the words when someone saved first
 * (412), to tell the reader what to do about it.
 */
export function failure<Extra extends object = Record<never, never>>(error: unknown, extra?: Extra, conflict?: string) {
  const problem = problemMessage(error);
  const message = problem.status === 412 && conflict ? conflict : problem.message;
  return data({ error: message, fields: problem.fields, ...(extra as Extra) }, { status: problem.status });
}

const fieldMap = (errors: { field: string; message: string }[]) =>
  Object.fromEntries(errors.map((e) => [e.field, e.message]));

/**
 * What a form shows for a thrown error. A Problem is meant for the user; any
 * other error is a bug or an outage, logged in full and shown as one generic
 * sentence — never SQL, a stack or a driver's message.
 */
export function problemMessage(error: unknown): { message: string; status: number; fields: Record<string, string> } {
  if (error instanceof Problem) {
    return { message: error.detail ?? error.title, status: error.status, fields: fieldMap(error.errors ?? []) };
  }
  createLogger({ area: "web-app" }).error("form action failed", {
    error: describeError(error),
    stack: error instanceof Error ? error.stack : undefined,
  });
  return { message: "Something went wrong on our side. Try again in a moment.", status: 500, fields: {} };
}
