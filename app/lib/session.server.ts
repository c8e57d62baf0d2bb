import { redirect } from "@remix-run/cloudflare";
import { ROLE_RANK } from "../../workers/auth/roles";
import type { AuthContext, Role } from "../../workers/context";
import { Problem } from "../../workers/problems";
import { contextFromSession, type ServiceContext } from "../../workers/service-context";
import { authenticate, confirmRole } from "../../workers/services/authentication";
import { listProjects, type ProjectView } from "../../workers/services/projects";
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
  /** The tenant's active projects and the one this browser chose; read once, when a page first asks. */
  projects: () => Promise<ProjectChoice>;
}

export interface ProjectChoice {
  active: ProjectView[];
  /** The project every page shows and edits; undefined only for a tenant without an active project. */
  chosen: ProjectView | undefined;
}

/**
 * The project this browser works in is a cookie holding a project id (set by
 * routes/projects.switch.tsx). It only selects: it is matched against the
 * signed-in tenant's active projects, read under that tenant's row-level
 * security, so another tenant's id, an archived project or garbage falls
 * back to the first active project and reaches nothing. Same flags as the
 * session cookies (workers/ui-session.ts), `__Host-` on https.
 */
const PROJECT_COOKIE = "apex_project";
const PROJECT_COOKIE_MAX_AGE = 365 * 86_400;

const projectCookieName = (request: Request) =>
  new URL(request.url).protocol === "https:" ? `__Host-${PROJECT_COOKIE}` : PROJECT_COOKIE;

function chosenProjectId(request: Request): string | undefined {
  const name = projectCookieName(request);
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=").trim() || undefined;
  }
  return undefined;
}

/** The Set-Cookie that makes `projectId` this browser's project (the caller has checked it is the tenant's). */
export function chosenProjectCookie(request: Request, projectId: string): string {
  return `${projectCookieName(request)}=${encodeURIComponent(projectId)}; Path=/; Max-Age=${PROJECT_COOKIE_MAX_AGE}; SameSite=Lax; Secure; HttpOnly`;
}

function projectChoice(request: Request, services: ServiceContext): () => Promise<ProjectChoice> {
  let choice: Promise<ProjectChoice> | undefined;
  return () => {
    choice ??= listProjects(services).then((active) => {
      const asked = chosenProjectId(request);
      return { active, chosen: active.find((p) => p.id === asked) ?? active[0] };
    });
    return choice;
  };
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
  return { ...services, auth, csrf: await csrfToken(request, env, auth), projects: projectChoice(request, services) };
}

export const canAct = (auth: AuthContext, role: Role) => ROLE_RANK[auth.role] >= ROLE_RANK[role];

/**
 * For the acts the API treats as high-risk (launching a campaign, attesting
 * to customers' consent): the role is read again from Postgres rather than
 * trusted from the session's token, so someone demoted a minute ago is
 * refused, with the API's own 403 for `what`.
 */
export async function requireConfirmedRole(session: Session, role: Role, what: string): Promise<void> {
  const auth = await confirmRole(session.auth, () => session.db);
  if (canAct(auth, role)) return;
  throw new Problem({
    status: 403,
    code: "forbidden",
    title: "Forbidden",
    detail: `${what} needs the ${role} role; the caller is ${auth.role}.`,
  });
}

/** The project a page shows and a settings page edits: the one chosen in the header's switcher. */
export async function currentProject(session: Session): Promise<ProjectView> {
  const { chosen } = await session.projects();
  if (!chosen) throw new Response("No active project: unarchive one in Settings → Projects.", { status: 404 });
  return chosen;
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
