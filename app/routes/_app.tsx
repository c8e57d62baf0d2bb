import { data, type LoaderFunctionArgs } from "@remix-run/cloudflare";
import { Form, NavLink, Outlet, useLoaderData, useMatches, useNavigation } from "@remix-run/react";
import { LiveIndicator, useLive } from "../lib/live";
import { type AppContext, canAct, requireSession } from "../lib/session.server";

/** The signed-in shell: navigation, the live connection, and the CSRF token forms need. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context as unknown as AppContext);
  return data(
    { role: session.auth.role, csrf: session.csrf, canManage: canAct(session.auth, "admin") },
    { headers: session.headers },
  );
}

export interface ShellData {
  role: string;
  csrf: string;
  canManage: boolean;
}

export default function Shell() {
  const { csrf, role } = useLoaderData<ShellData>();
  // Pages name the channels they show; the shell keeps one connection for all of them.
  const channels = useMatches().flatMap((m) => (m.handle as { channels?: string[] } | undefined)?.channels ?? []);
  const state = useLive(channels.length > 0 ? channels : ["lead:*", "entity:lead"]);
  const navigation = useNavigation();
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <a href="/">Apex</a>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/leads">Leads</NavLink>
          <NavLink to="/tickets">Tasks</NavLink>
          <NavLink to="/settings/dna">Settings</NavLink>
        </nav>
        <LiveIndicator state={state} />
        {/* Space kept even when idle, so the header never jumps. */}
        <span role="status" aria-live="polite" style={{ minWidth: "5rem", fontSize: ".875rem" }}>
          {navigation.state === "loading" ? "Loading…" : navigation.state === "submitting" ? "Saving…" : ""}
        </span>
        <Form method="post" action="/logout">
          <input type="hidden" name="csrf" value={csrf} />
          <button type="submit" className="secondary" aria-label={`Log out (${role})`}>
            Log out
          </button>
        </Form>
      </header>
      <main id="main">
        <Outlet />
      </main>
    </>
  );
}
