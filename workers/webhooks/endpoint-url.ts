import type { FieldError } from "../problems";

const PRIVATE_V4 = [/^10\./, /^127\./, /^169\.254\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^0\./];

/**
 * Where Apex may POST a tenant's events. In production: https to a public
 * host only, so an endpoint cannot aim our Worker at private addresses. In
 * development and tests plain http and localhost are allowed, so a local
 * receiver works.
 */
export function endpointUrlProblem(raw: string, appEnv: string): FieldError | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { field: "url", message: "is not a URL" };
  }
  if (url.username || url.password) return { field: "url", message: "must not carry credentials" };
  const production = appEnv === "production";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && !production)) {
    return { field: "url", message: production ? "must use https" : "must use http or https" };
  }
  if (production) {
    const host = url.hostname.toLowerCase();
    const internal =
      host === "localhost" ||
      host.endsWith(".localhost") ||
      host.endsWith(".local") ||
      host.endsWith(".internal") ||
      host.startsWith("[") ||
      PRIVATE_V4.some((range) => range.test(host));
    if (internal) return { field: "url", message: "must be a public host" };
  }
  return undefined;
}
