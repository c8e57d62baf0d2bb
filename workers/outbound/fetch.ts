import { problems } from "../problems";
import { isPublicAddress, type ResolveHost, resolveOverHttps } from "./resolve";
import { isLocalEnvironment, outboundUrlProblem } from "./url-policy";

interface OutboundOptions {
  appEnv: string | undefined;
  /** The field a refusal names (422), e.g. `url`. */
  field: string;
  /** What the caller is talking to, for error messages: "the website". */
  what: string;
  /**
   * Redirects followed, each re-checked against the policy. 0 (the default)
   * follows none: a 3xx then fails like any other non-2xx answer. Only GET
   * requests may follow redirects, so a body or credential is never re-sent.
   */
  maxRedirects?: number;
  /** For the whole exchange, every hop included. */
  timeoutMs?: number;
  /** Resolve-then-check. Absent: DNS over HTTPS outside the local environments, none inside them. */
  resolveHost?: ResolveHost | undefined;
}

/**
 * A non-2xx answer, described by its status alone: the body of a failed call
 * may be an internal page and is never read, stored or echoed.
 */
export class OutboundStatusError extends Error {
  override name = "OutboundStatusError";
  constructor(
    what: string,
    readonly status: number,
  ) {
    super(`${what} answered ${status}`);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

async function assertAllowed(url: string, hop: number, options: OutboundOptions, resolveHost?: ResolveHost) {
  const problem = outboundUrlProblem(url, options);
  const after = hop > 0 ? ` (after redirect ${hop})` : "";
  if (problem) throw problems.validation([{ field: problem.field, message: `${problem.message}${after}` }]);
  const { hostname } = new URL(url);
  if (!resolveHost || hostname.startsWith("[") || /^[\d.]+$/.test(hostname)) return;
  const addresses = await resolveHost(hostname);
  if (!addresses.every(isPublicAddress)) {
    throw problems.validation([{ field: options.field, message: `must resolve to public addresses only${after}` }]);
  }
}

/**
 * Fetches a tenant-supplied URL under the outbound-URL policy: the URL and
 * every redirect target are checked (and, in production, their DNS answers)
 * before a connection is made; hops and time are bounded. Answers only with
 * a 2xx response. Throws a 422 problem naming `field` when the policy
 * refuses a hop, OutboundStatusError for any other answer.
 */
export async function fetchOutbound(url: string, init: RequestInit, options: OutboundOptions): Promise<Response> {
  const maxRedirects = options.maxRedirects ?? 0;
  const method = (init.method ?? "GET").toUpperCase();
  if (maxRedirects > 0 && method !== "GET") throw new Error("fetchOutbound follows redirects for GET requests only");
  const resolveHost = options.resolveHost ?? (isLocalEnvironment(options.appEnv) ? undefined : resolveOverHttps);
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  let current = url;
  for (let hop = 0; ; hop++) {
    await assertAllowed(current, hop, options, resolveHost);
    const response = await fetch(current, { ...init, redirect: "manual", signal });
    const location = response.headers.get("location");
    if (REDIRECTS.has(response.status) && location && hop < maxRedirects) {
      await response.body?.cancel();
      current = new URL(location, current).toString();
      continue;
    }
    if (response.ok) return response;
    await response.body?.cancel();
    throw new OutboundStatusError(options.what, response.status);
  }
}
