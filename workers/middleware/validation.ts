import type { Hook } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import type { AppEnv } from "../context";
import { problems } from "../problems";
import { findBadText } from "../text/unicode";

/** zod issues → field errors. The path names the field a client must fix. */
export function fieldErrors(error: ZodError): { field: string; message: string }[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)",
    message: issue.message,
  }));
}

/**
 * Runs after every route's zod schema, for body, query, path and headers: a
 * 422 problem that names every offending field. A value the schema accepts may
 * still hold text Postgres cannot store (a NUL byte, a lone surrogate); that
 * is refused here too, for every route at once, so it can never surface as a
 * 500 halfway through a write. Nothing downstream runs, so nothing is half-written.
 */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) throw problems.validation(fieldErrors(result.error as ZodError));
  const bad = findBadText(result.data);
  if (bad.length > 0) throw problems.validation(bad);
};
