import { type FieldError, problems } from "../problems";
import { isLoopback, isPublicIPv4, isPublicIPv6, parseIPv4, parseIPv6 } from "./ip-addresses";

/**
 * The one rule for every URL a tenant gives Apex to call (webhook endpoints,
 * the onboarding website, an OpenAI-compatible base URL): https to a public
 * DNS name or public unicast address on the default port, no credentials.
 * Names are judged by what they say, not what they resolve to; resolution is
 * fetchOutbound's job (docs/decisions/011-outbound-url-policy.md).
 *
 * The local environments ("development", "test") relax exactly two things so
 * the simulators and the webhook receiver on 127.0.0.1 keep working: plain
 * http, and loopback (`localhost`, 127.0.0.0/8, [::1]) on any port. Any other
 * APP_ENV value, or none, gets the production rule: the relaxation fails closed.
 */
interface OutboundUrlOptions {
  appEnv: string | undefined;
  /** The field a refusal names, e.g. `url`, `baseUrl`, `params.websiteUrl`. */
  field: string;
}

const LOCAL_ENVIRONMENTS = new Set(["development", "test"]);

export const isLocalEnvironment = (appEnv: string | undefined) => LOCAL_ENVIRONMENTS.has(appEnv ?? "");

/** Top-level names that are special-use (RFC 6761, 6762, 8375, 9476) or used inside networks, never public. */
const INTERNAL_TLDS = new Set([
  "alt",
  "arpa",
  "cluster",
  "consul",
  "corp",
  "default",
  "docker",
  "example",
  "home",
  "internal",
  "intranet",
  "invalid",
  "lan",
  "local",
  "localdomain",
  "localhost",
  "mail",
  "onion",
  "private",
  "svc",
  "test",
]);

/** Public names whose DNS answers loopback or whatever address is written into them. */
const ADDRESS_ECHOING_DOMAINS = [
  "fuf.me",
  "lacolhost.com",
  "local.gd",
  "localho.st",
  "localtest.me",
  "lvh.me",
  "nip.io",
  "sslip.io",
  "traefik.me",
  "vcap.me",
  "xip.io",
];

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const TOP_LABEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
/** Four octets written into a name, dotted or dashed: 10.0.0.1.example.com, app-127-0-0-1.example.com. */
const EMBEDDED_V4 = /(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?=$|[.-])/g;

const PUBLIC_HOST = "must be a public host";

/** Why `hostname` (as `URL` normalised it) is not a public host, or undefined when it is. */
function hostProblem(hostname: string, local: boolean): string | undefined {
  if (hostname.startsWith("[")) {
    const v6 = parseIPv6(hostname.slice(1, -1));
    if (!v6) return PUBLIC_HOST;
    return isPublicIPv6(v6) || (local && isLoopback({ v6 })) ? undefined : PUBLIC_HOST;
  }
  // URL has already turned decimal, octal, hex and short IPv4 forms into dotted decimal.
  const v4 = parseIPv4(hostname);
  if (v4 !== undefined) return isPublicIPv4(v4) || (local && isLoopback({ v4 })) ? undefined : PUBLIC_HOST;
  if (local && hostname === "localhost") return undefined;
  return nameProblem(hostname);
}

function nameProblem(name: string): string | undefined {
  // A trailing dot makes `localhost.` or `metadata.google.internal.` slip past suffix checks; no public URL needs it.
  if (name.endsWith(".")) return PUBLIC_HOST;
  const labels = name.split(".");
  const top = labels.at(-1) ?? "";
  // A single label (`metadata`, `instance-data`) is resolved through search domains, inside someone's network.
  if (labels.length < 2 || name.length > 253 || !labels.every((label) => LABEL.test(label))) return PUBLIC_HOST;
  if (!TOP_LABEL.test(top) || INTERNAL_TLDS.has(top)) return PUBLIC_HOST;
  if (ADDRESS_ECHOING_DOMAINS.some((domain) => name === domain || name.endsWith(`.${domain}`))) return PUBLIC_HOST;
  for (const match of name.matchAll(EMBEDDED_V4)) {
    const v4 = parseIPv4(match.slice(1, 5).join("."));
    if (v4 !== undefined && !isPublicIPv4(v4)) return PUBLIC_HOST;
  }
  return undefined;
}

/** The policy's verdict on `raw`: a field error naming `field`, or undefined when Apex may call it. */
export function outboundUrlProblem(raw: string, { appEnv, field }: OutboundUrlOptions): FieldError | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { field, message: "is not a URL" };
  }
  const local = isLocalEnvironment(appEnv);
  if (url.username || url.password) return { field, message: "must not carry credentials" };
  if (url.protocol !== "https:" && !(local && url.protocol === "http:")) {
    return { field, message: local ? "must use http or https" : "must use https" };
  }
  const host = hostProblem(url.hostname, local);
  if (host) return { field, message: host };
  // `URL` drops a port equal to the scheme's default, so any port left is a non-default one.
  if (!local && url.port !== "") return { field, message: "must use the default port" };
  return undefined;
}

/** Throws a 422 naming the field when `raw` breaks the policy. */
export function assertOutboundUrl(raw: string, options: OutboundUrlOptions): void {
  const problem = outboundUrlProblem(raw, options);
  if (problem) throw problems.validation([problem]);
}

/**
 * The rules no environment relaxes (everything but http and loopback), for
 * zod schemas that are parsed before the environment is known; the full rule
 * runs again where APP_ENV is at hand.
 */
export function urlProblemInEveryEnvironment(raw: string, field: string): FieldError | undefined {
  return outboundUrlProblem(raw, { appEnv: "development", field });
}
