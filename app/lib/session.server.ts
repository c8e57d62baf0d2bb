import { redirect } from "@remix-run/cloudflare";
import type { Database } from "../../schema/db";
import { randomToken } from "../../workers/auth/encoding";
import { ROLE_RANK } from "../../workers/auth/roles";
import type { AuthContext, RequestActor, Role } from "../../workers/context";
import { Problem } from "../../workers/problems";
import { authenticate } from "../../workers/services/authentication";
import { refresh } from "../../workers/services/identity";
import { listProjects } from "../../workers/services/projects";

/**
 * The web app's session: the same access and refresh tokens the API issues,
 * kept in HttpOnly, Secure, SameSite=Lax cookies. Every loader and action
 * authenticates through the API's own `authenticate`, so a page sees exactly
 * what the API would. Writes carry a CSRF token (double submit: a cookie the
 * page echoes in a hidden field) on top of SameSite.
 */
const ACCESS = "apex_at";
const REFRESH = "apex_rt";
const CSRF = "apex_csrf";

export interface AppContext {
  cloudflare: { env: Env; ctx: ExecutionContext };
  db: () => Database;
}

export interface Session {
  auth: AuthContext;
  actor: RequestActor;
  db: Database;
  env: Env;
  csrf: string;
  /** Set-Cookie lines a loader must pass on (a refreshed token, a new CSRF cookie). */
  headers: Headers;
}

function cookies(request: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name) out[name] = decodeURIComponent(value.join("="));
  }
  return out;
}

const cookie = (name: string, value: string, maxAge: number, httpOnly = true) =>
  `${name}=${encodeURIComponent(value)}; Path=/; Max-Age=${maxAge}; SameSite=Lax; Secure${httpOnly ? "; HttpOnly" : ""}`;

export function sessionCookies(tokens: { accessToken: string; refreshToken: string }): Headers {
  const headers = new Headers();
  headers.append("Set-Cookie", cookie(ACCESS, tokens.accessToken, 15 * 60));
  headers.append("Set-Cookie", cookie(REFRESH, tokens.refreshToken, 30 * 86_400));
  headers.append("Set-Cookie", cookie(CSRF, randomToken(24), 30 * 86_400, false));
  return headers;
}

export function clearedCookies(): Headers {
  const headers = new Headers();
  for (const name of [ACCESS, REFRESH, CSRF]) headers.append("Set-Cookie", cookie(name, "", 0));
  return headers;
}

/** Postgres for this page request; opened on first use and closed by the Worker after the response (workers/index.ts). */
export function database(context: AppContext): Database {
  return context.db();
}

export function identityRequest(request: Request, context: AppContext) {
  return {
    env: context.cloudflare.env,
    db: database(context),
    requestId: crypto.randomUUID(),
    ip: request.headers.get("cf-connecting-ip"),
  };
}

/**
 * Refreshes an expired access token once per page request, before any loader
 * runs (workers/index.ts calls this): parallel loaders must not each rotate the
 * same refresh token — the second would look like token reuse and revoke the
 * family. Returns the request to hand to Remix and the cookies to set.
 */
export async function refreshSession(
  request: Request,
  env: Env,
  db: () => Database,
): Promise<{ request: Request; setCookies: string[] }> {
  const jar = cookies(request);
  if (!jar[REFRESH]) return { request, setCookies: [] };
  if (jar[ACCESS]) {
    const probe = new Request(request.url, { headers: { authorization: `Bearer ${jar[ACCESS]}` } });
    if (
      await authenticate(probe, env, db).then(
        () => true,
        () => false,
      )
    )
      return { request, setCookies: [] };
  }
  const tokens = await refresh(jar[REFRESH], {
    env,
    db: db(),
    requestId: crypto.randomUUID(),
    ip: request.headers.get("cf-connecting-ip"),
  }).catch(() => undefined);
  if (!tokens) return { request, setCookies: [] };
  const setCookies = sessionCookies(tokens)
    .getSetCookie()
    .filter((line) => !line.startsWith(`${CSRF}=`));
  const rest = Object.entries(jar).filter(([name]) => name !== ACCESS && name !== REFRESH);
  const cookieHeader = [
    ...rest.map(([name, value]) => `${name}=${encodeURIComponent(value)}`),
    `${ACCESS}=${encodeURIComponent(tokens.accessToken)}`,
    `${REFRESH}=${encodeURIComponent(tokens.refreshToken)}`,
  ].join("; ");
  const headers = new Headers(request.headers);
  headers.set("cookie", cookieHeader);
  return { request: new Request(request, { headers }), setCookies };
}

/** The signed-in user, or a redirect to /login. */
export async function requireSession(request: Request, context: AppContext): Promise<Session> {
  const env = context.cloudflare.env;
  const jar = cookies(request);
  const db = database(context);
  const headers = new Headers();
  const token = jar[ACCESS];
  const probe = token ? new Request(request.url, { headers: { authorization: `Bearer ${token}` } }) : undefined;
  const auth = probe ? await authenticate(probe, env, () => db).catch(() => undefined) : undefined;
  if (!auth) {
    const next = new URL(request.url).pathname;
    throw redirect(`/login?next=${encodeURIComponent(next)}`, { headers: clearedCookies() });
  }
  let csrf = jar[CSRF];
  if (!csrf) {
    csrf = randomToken(24);
    headers.append("Set-Cookie", cookie(CSRF, csrf, 30 * 86_400, false));
  }
  const actor: RequestActor = { auth, requestId: crypto.randomUUID(), ip: request.headers.get("cf-connecting-ip") };
  return { auth, actor, db, env, csrf, headers };
}

/** Every action: the form's csrf field must equal the cookie (a cross-site form cannot read it). */
export function checkCsrf(request: Request, form: FormData): void {
  const expected = cookies(request)[CSRF];
  const given = form.get("csrf");
  if (!expected || typeof given !== "string" || given !== expected) {
    throw new Response("Invalid or missing CSRF token; reload the page and try again.", { status: 403 });
  }
}

export const canAct = (auth: AuthContext, role: Role) => ROLE_RANK[auth.role] >= ROLE_RANK[role];

/** A service's problem as something a form can show. */
export function problemMessage(error: unknown): { message: string; status: number; fields: Record<string, string> } {
  if (error instanceof Problem) {
    return {
      message: error.detail ?? error.title,
      status: error.status,
      fields: Object.fromEntries((error.errors ?? []).map((e) => [e.field, e.message])),
    };
  }
  throw error;
}

/** The project a settings page edits: the tenant's first (a tenant has one until multi-project UI exists). */
export async function currentProject(session: Session) {
  const [project] = await listProjects(session);
  if (!project) throw new Response("No project yet", { status: 404 });
  return project;
}

/**
 * The start of every form action: a signed-in user, a valid CSRF token, and
 * at least `role` (else 403 with `refusal`).
 */
export async function formAction(
  request: Request,
  context: unknown,
  role: Role,
  refusal: string,
): Promise<{ session: Session; form: FormData }> {
  const session = await requireSession(request, context as AppContext);
  const form = await request.formData();
  checkCsrf(request, form);
  if (!canAct(session.auth, role)) throw new Response(refusal, { status: 403 });
  return { session, form };
}
