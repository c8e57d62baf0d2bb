import { type ActionFunctionArgs, redirect } from "@remix-run/cloudflare";
import { logout } from "../../workers/services/identity";
import { type AppContext, checkCsrf, clearedCookies, identityRequest } from "../lib/session.server";

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  checkCsrf(request, form);
  const refreshToken = /(?:^|;\s*)apex_rt=([^;]+)/.exec(request.headers.get("cookie") ?? "")?.[1];
  if (refreshToken) {
    await logout(decodeURIComponent(refreshToken), identityRequest(request, context as unknown as AppContext)).catch(
      () => undefined,
    );
  }
  return redirect("/login", { headers: clearedCookies() });
}

export const loader = () => redirect("/");
