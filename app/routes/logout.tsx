import { type ActionFunctionArgs, redirect } from "@remix-run/cloudflare";
import { logout } from "../../workers/services/identity";
import { clearedCookies, readSessionCookie } from "../../workers/ui-session";
import { checkCsrf } from "../lib/csrf.server";
import { readForm } from "../lib/forms.server";
import { currentAuth, identityRequest } from "../lib/session.server";

/**
 * Ends the session. A signed-in browser must send its session's CSRF token
 * (no forced log-outs from other sites); one whose session is already over
 * only has its cookies cleared.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const auth = await currentAuth(request, context);
  if (auth) {
    await checkCsrf(request, form, context.cloudflare.env, auth);
    const refreshToken = readSessionCookie(request, "refresh");
    if (refreshToken) await logout(refreshToken, identityRequest(request, context)).catch(() => undefined);
  }
  return redirect("/login", { headers: clearedCookies(request) });
}

export const loader = () => redirect("/");
