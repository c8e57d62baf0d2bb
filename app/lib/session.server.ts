import { redirect } from "@remix-run/cloudflare";
import { ROLE_RANK } from "../../workers/auth/roles";
import type { AuthContext, Role } from "../../workers/context";
import { contextFromSession, type ServiceContext } from "../../workers/service-context";
import { authenticate } from "../../workers/services/authentication";
import { listProjects } from "../../workers/services/projects";
import { clearedCookies, readSessionCookie } from "../../workers/ui-session";
import type { AppLoadContext } from "../load-context";
import { checkCsrf, csrfToken } from "./csrf.server";
import { readForm } from "./forms.server";

/**
 * The web app's session: the same access and refresh tokens the API issues,
 * kept in cookies (workers/ui-session.ts). Every loader and action
 * authenticates through the API's own `authenticate`, so a page sees exactly
 * what the API would. Writes carry a CSRF token bound to the session
 * (csrf.server.ts) on top of SameSite and an origin check.
 */
interface Session extends ServiceContext {
  auth: AuthContext;
  /** The token this session's forms carry in their `csrf` field. */
  csrf: string;
}

export function identityRequest(request: Request, context: AppLoadContext) {
  return {
    env: context.cloudflare.env,
    db: context.db(),
    requestId: crypto.randomUUID(),
    ip: request.headers.get("cf-connecting-ip"),
  };
}

/** The signed-in user, or undefined. */
export async function currentAuth(request: Request, context: AppLoadContext): Promise<AuthContext | undefined> {
  const token = readSessionCookie(request, "access");
  if (!token) return undefined;
  const probe = new Request(request.url, { headers: { authorization: `Bearer ${token}` } });
  const db = context.db();
  return authenticate(probe, context.cloudflare.env, () => db).catch(() => undefined);
}

/** The signed-in user, or a redirect to /login. */
export async function requireSession(request: Request, context: AppLoadContext): Promise<Session> {
  const env = context.cloudflare.env;
  const auth = await currentAuth(request, context);
  if (!auth) {
    const next = new URL(request.url).pathname;
    throw redirect(`/login?next=${encodeURIComponent(next)}`, { headers: clearedCookies(request) });
  }
  const services = contextFromSession({ env, auth, db: context.db, ip: request.headers.get("cf-connecting-ip") });
  return { ...services, auth, csrf: await csrfToken(request, env, auth) };
}

export const canAct = (auth: AuthContext, role: Role) => ROLE_RANK[auth.role] >= ROLE_RANK[role];

/** The project a settings page edits: the tenant's first (a tenant has one until multi-project UI exists). */
export async function currentProject(session: Session) {
  const [project] = await listProjects(session);
  if (!project) throw new Response("No project yet", { status: 404 });
  return project;
}

/**
 * The start of every signed-in form action: a form from this origin, a
 * signed-in user, this session's CSRF token, and at least `role` (else 403
 * with `refusal`).
 */
export async function formAction(
  request: Request,
  context: AppLoadContext,
  role: Role,
  refusal: string,
): Promise<{ session: Session; form: FormData }> {
  const form = await readForm(request);
  const session = await requireSession(request, context);
  await checkCsrf(request, form, session.env, session.auth);
  if (!canAct(session.auth, role)) throw new Response(refusal, { status: 403 });
  return { session, form };
}

/** The start of a form action before log-in (log in, sign up, join): a form from this origin with its CSRF token. */
export async function publicFormAction(request: Request, context: AppLoadContext): Promise<FormData> {
  const form = await readForm(request);
  await checkCsrf(request, form, context.cloudflare.env, null);
  return form;
}

/** The CSRF token a page before log-in puts in its form. */
export function publicCsrfToken(request: Request, context: AppLoadContext): Promise<string> {
  return csrfToken(request, context.cloudflare.env, null);
}
