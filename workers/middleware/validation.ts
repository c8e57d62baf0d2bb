import type { Hook } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import type { AppEnv } from "../context";
import { problems } from "../problems";

/** zod issues → field errors. The path names the field a client must fix. */
export function fieldErrors(error: ZodError): { field: string; message: string }[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)",
    message: issue.message,
  }));
}

/**
 * Runs when a request fails its route's zod schema: a 422 problem that names
 * every offending field. Nothing downstream runs, so nothing is half-written.
 */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) throw problems.validation(fieldErrors(result.error as ZodError));
};
