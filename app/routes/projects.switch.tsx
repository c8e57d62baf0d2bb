import { type ActionFunctionArgs, redirect } from "@remix-run/cloudflare";
import { sameOriginPath } from "../lib/safe-redirect";
import { chosenProjectCookie, formAction } from "../lib/session.server";

/**
 * The header's project switcher posts here (routes/_app.tsx): any signed-in
 * role may choose which of the tenant's active projects the pages show. The
 * id is kept only if it is one of them; the browser goes back to the page it
 * came from, on this origin only.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "viewer", "Sign in to choose a project.");
  const back = sameOriginPath(form.get("next"), request.url);
  const asked = form.get("projectId");
  const { active } = await session.projects();
  const chosen = active.find((project) => project.id === asked);
  if (!chosen) return redirect(back);
  return redirect(back, { headers: { "Set-Cookie": chosenProjectCookie(request, chosen.id) } });
}

export const loader = () => redirect("/");
