import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../context";
import { createLogger } from "../logger";
import { PROBLEM_CONTENT_TYPE, Problem, problemBody, problems } from "../problems";

/**
 * The one place errors become responses. A `Problem` is rendered as it is;
 * Hono's own HTTP errors (e.g. a malformed JSON body) keep their status; any
 * other error is a 500 whose detail never leaks internals — the request id
 * points to the log line that has them.
 */
function renderProblem(problem: Problem, c: Context<AppEnv>): Response {
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  const body = problemBody(problem, c.req.path, requestId);
  return new Response(JSON.stringify(body), {
    status: problem.status,
    headers: { ...problem.headers, "Content-Type": PROBLEM_CONTENT_TYPE, "X-Request-Id": requestId },
  });
}

export function onError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof Problem) return renderProblem(error, c);
  if (error instanceof HTTPException) {
    const status = error.status;
    // 400 and 415 come from @hono/zod-openapi's JSON parser and media-type gate: JSON is all it takes.
    const problem =
      status === 400
        ? problems.invalidJson(error.message || "The request body could not be parsed.")
        : status === 415
          ? problems.unsupportedMediaType("application/json")
          : new Problem({ status, code: `http-${status}`, title: error.message || "Request refused" });
    return renderProblem(problem, c);
  }
  const log = c.get("log") ?? createLogger();
  log.error("unhandled error", { error: String(error), stack: error.stack });
  return renderProblem(problems.internal(), c);
}

export function notFound(c: Context<AppEnv>): Response {
  return renderProblem(problems.notFound(`Nothing answers ${c.req.method} ${c.req.path}.`), c);
}
