import type { LoaderFunctionArgs } from "@remix-run/cloudflare";
import { NavLink, Outlet, useLoaderData, useMatches, useNavigation } from "@remix-run/react";
import { PostForm } from "../components/post-form";
import { LiveIndicator, useLive } from "../lib/live";
import { requireSession } from "../lib/session.server";

/** The signed-in shell: navigation, the live connection, and the CSRF token every form below it posts (components/csrf-field.tsx). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  return { role: session.auth.role, csrf: session.csrf };
}

export default function Shell() {
  const { role } = useLoaderData<typeof loader>();
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
          <NavLink to="/settings">Settings</NavLink>
        </nav>
        <LiveIndicator state={state} />
        {/* Space kept even when idle, so the header never jumps. */}
        <span role="status" aria-live="polite" style={{ minWidth: "5rem", fontSize: ".875rem" }}>
          {navigation.state === "loading" ? "Loading…" : navigation.state === "submitting" ? "Saving…" : ""}
        </span>
        <PostForm action="/logout">
          <button type="submit" className="secondary" aria-label={`Log out (${role})`}>
            Log out
          </button>
        </PostForm>
      </header>
      <main id="main">
        <Outlet />
      </main>
    </>
  );
}
