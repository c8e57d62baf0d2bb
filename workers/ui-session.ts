import type { Database } from "../schema/db";
import { randomToken } from "./auth/encoding";
import { authenticate } from "./services/authentication";
import { refresh } from "./services/identity";

/**
 * The web app's session cookies (decision 010): the API's access and refresh
 * tokens, and a random `binding` the pages' CSRF tokens are derived from
 * (app/lib/csrf.server.ts). All HttpOnly, Secure, SameSite=Lax, Path=/, no
 * Domain.
 *
 * On https the names carry the `__Host-` prefix, so a browser refuses the
 * cookie from a sibling subdomain, from plain http or with a Domain: nobody
 * can plant one. Local dev serves http://127.0.0.1, where browsers do not
 * reliably accept `__Host-` cookies, so there the names are plain. Each
 * request reads only the names of its own scheme: on https a planted plain
 * `apex_at` is never read.
 */
type SessionCookie = "access" | "refresh" | "binding";

const NAMES: Record<SessionCookie, string> = { access: "apex_at", refresh: "apex_rt", binding: "apex_csrf" };
const MAX_AGE: Record<SessionCookie, number> = { access: 15 * 60, refresh: 30 * 86_400, binding: 30 * 86_400 };

function sessionCookieName(request: Request, kind: SessionCookie): string {
  return new URL(request.url).protocol === "https:" ? `__Host-${NAMES[kind]}` : NAMES[kind];
}

function cookieJar(request: Request): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (!name || jar.has(name)) continue;
    try {
      jar.set(name, decodeURIComponent(value.join("=")));
    } catch {
      // A malformed cookie someone else set is skipped, not a 500.
    }
  }
  return jar;
}

export function readSessionCookie(request: Request, kind: SessionCookie): string | undefined {
  return cookieJar(request).get(sessionCookieName(request, kind)) || undefined;
}

const setCookie = (request: Request, kind: SessionCookie, value: string, maxAge = MAX_AGE[kind]) =>
  `${sessionCookieName(request, kind)}=${encodeURIComponent(value)}; Path=/; Max-Age=${maxAge}; SameSite=Lax; Secure; HttpOnly`;

/** A new session: its tokens and a fresh CSRF binding (never the one from before the log-in). */
export function sessionCookies(request: Request, tokens: { accessToken: string; refreshToken: string }): Headers {
  const headers = new Headers();
  headers.append("Set-Cookie", setCookie(request, "access", tokens.accessToken));
  headers.append("Set-Cookie", setCookie(request, "refresh", tokens.refreshToken));
  headers.append("Set-Cookie", setCookie(request, "binding", randomToken(24)));
  return headers;
}

export function clearedCookies(request: Request): Headers {
  const headers = new Headers();
  for (const kind of ["access", "refresh", "binding"] as const)
    headers.append("Set-Cookie", setCookie(request, kind, "", 0));
  return headers;
}

/**
 * Runs once per page request, before any loader (workers/index.ts): Remix
 * runs a page's loaders in parallel, and they must agree. So here, not in a
 * loader, an expired access token is refreshed (two loaders rotating one
 * refresh token would look like reuse and revoke the family), and a browser
 * without a CSRF binding gets one (two loaders minting their own would hand
 * the page two different tokens). Returns the request to hand to Remix and
 * the cookies to set on its response.
 */
export async function prepareUiSession(
  request: Request,
  env: Env,
  db: () => Database,
): Promise<{ request: Request; setCookies: string[] }> {
  const given = cookieJar(request);
  const changed = new Map<SessionCookie, string>();
  const setCookies: string[] = [];

  const refreshToken = readSessionCookie(request, "refresh");
  if (refreshToken && !(await accessTokenWorks(request, env, db))) {
    const tokens = await refresh(refreshToken, {
      env,
      db: db(),
      requestId: crypto.randomUUID(),
      ip: request.headers.get("cf-connecting-ip"),
    }).catch(() => undefined);
    if (tokens) {
      changed.set("access", tokens.accessToken).set("refresh", tokens.refreshToken);
      setCookies.push(setCookie(request, "access", tokens.accessToken));
      setCookies.push(setCookie(request, "refresh", tokens.refreshToken));
    }
  }
  if (!readSessionCookie(request, "binding")) {
    const binding = randomToken(24);
    changed.set("binding", binding);
    setCookies.push(setCookie(request, "binding", binding));
  }
  if (changed.size === 0) return { request, setCookies };

  for (const [kind, value] of changed) given.set(sessionCookieName(request, kind), value);
  const headers = new Headers(request.headers);
  headers.set("cookie", [...given].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join("; "));
  return { request: new Request(request, { headers }), setCookies };
}

async function accessTokenWorks(request: Request, env: Env, db: () => Database): Promise<boolean> {
  const token = readSessionCookie(request, "access");
  if (!token) return false;
  const probe = new Request(request.url, { headers: { authorization: `Bearer ${token}` } });
  return authenticate(probe, env, db).then(
    () => true,
    () => false,
  );
}

/**
 * A page request a browser marks as sent by another site, refused with 403
 * before Remix runs: a form post (or any non-GET) must come from this origin.
 * `Sec-Fetch-Site` decides when present; older browsers send `Origin`.
 * Clients that send neither (curl, tests) are left to the forms' CSRF token.
 * (Remix has its own Origin-vs-Host check, but it throws a plain Error: 500.)
 */
export function crossSiteRefusal(request: Request): Response | undefined {
  if (request.method === "GET" || request.method === "HEAD") return undefined;
  const site = request.headers.get("sec-fetch-site");
  const origin = request.headers.get("origin");
  const foreign = site !== null ? site !== "same-origin" : origin !== null && origin !== new URL(request.url).origin;
  if (!foreign) return undefined;
  return new Response("This form was sent from another site. Reload the page and try again.", {
    status: 403,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
