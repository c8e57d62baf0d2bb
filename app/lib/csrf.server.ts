import { parseSigningKeys } from "../../workers/auth/access-tokens";
import { toBase64Url } from "../../workers/auth/encoding";
import type { AuthContext } from "../../workers/context";
import { readSessionCookie } from "../../workers/ui-session";

/**
 * CSRF for the web app's forms, in two layers:
 * 1. A post a browser marks as coming from another site is refused before
 *    Remix runs (crossSiteRefusal in workers/ui-session.ts).
 * 2. Every form carries a token the page was given: an HMAC of the browser's
 *    HttpOnly CSRF binding cookie and the session it belongs to (user and
 *    login session, i.e. the refresh-token family). A cookie planted from
 *    elsewhere, with the token of another session, does not match; before
 *    log-in (log-in, sign-up, invitation forms) the token binds the cookie
 *    alone, and log-in replaces that cookie with a new one.
 * Keyed with the JWT signing keys (the first signs, all verify), so a key
 * rotation does not void the forms open in browsers.
 */
type CsrfSubject = Pick<AuthContext, "userId" | "sessionId"> | null;

const refuse = (why: string) => new Response(`${why} Reload the page and try again.`, { status: 403 });

/** The token this browser's forms carry, for this session (null: before log-in). */
export async function csrfToken(request: Request, env: Env, subject: CsrfSubject): Promise<string> {
  const binding = readSessionCookie(request, "binding");
  if (!binding) return "";
  const { active } = parseSigningKeys(env.JWT_SIGNING_KEYS);
  return sign(active.key, message(binding, subject));
}

/** Throws 403 unless the form's `csrf` field is this browser's token for this session. */
export async function checkCsrf(request: Request, form: FormData, env: Env, subject: CsrfSubject): Promise<void> {
  const binding = readSessionCookie(request, "binding");
  const given = form.get("csrf");
  if (!binding || typeof given !== "string" || given === "") throw refuse("Invalid or missing CSRF token.");
  const text = message(binding, subject);
  for (const key of parseSigningKeys(env.JWT_SIGNING_KEYS).byKid.values()) {
    if (sameText(await sign(key, text), given)) return;
  }
  throw refuse("Invalid or missing CSRF token.");
}

const message = (binding: string, subject: CsrfSubject) =>
  ["apex-csrf-v1", binding, subject?.userId ?? "-", subject?.sessionId ?? "-"].join("\n");

async function sign(key: Uint8Array, text: string): Promise<string> {
  const hmac = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(text))));
}

function sameText(a: string, b: string): boolean {
  const encoder = new TextEncoder();
  const [x, y] = [encoder.encode(a), encoder.encode(b)];
  return x.byteLength === y.byteLength && crypto.subtle.timingSafeEqual(x, y);
}
