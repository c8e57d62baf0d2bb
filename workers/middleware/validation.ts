import type { Hook } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import type { AppEnv } from "../context";
import { problems, zodFieldErrors } from "../problems";
import { findBadText } from "../text/unicode";

/**
 * Runs after every route's zod schema, for body, query, path and headers: a
 * 422 problem that names every offending field. A value the schema accepts may
 * still hold text Postgres cannot store (a NUL byte, a lone surrogate); that
 * is refused here too, for every route at once, so it can never surface as a
 * 500 halfway through a write. Nothing downstream runs, so nothing is half-written.
 */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) throw problems.validation(zodFieldErrors((result.error as ZodError).issues));
  const bad = findBadText(result.data);
  if (bad.length > 0) throw problems.validation(bad);
};
