import type { LoaderFunctionArgs } from "@remix-run/cloudflare";
import { NavLink, Outlet, useLoaderData, useLocation, useMatches, useNavigation } from "@remix-run/react";
import { PostForm } from "../components/post-form";
import { LiveIndicator, useLive } from "../lib/live";
import { requireSession } from "../lib/session.server";

/**
 * The signed-in shell: navigation, the project switcher, the live connection,
 * and the CSRF token every form below it posts (components/csrf-field.tsx).
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const { active, chosen } = await session.projects();
  return {
    role: session.auth.role,
    csrf: session.csrf,
    projects: active.map(({ id, name }) => ({ id, name })),
    project: chosen ? { id: chosen.id, name: chosen.name } : null,
  };
}

/**
 * Which project every page shows: a plain form (select and button), so it
 * works without JavaScript; routes/projects.switch.tsx keeps the choice and
 * sends the browser back here. With one project there is nothing to choose.
 */
function ProjectSwitcher({
  projects,
  project,
}: {
  projects: { id: string; name: string }[];
  project: { id: string; name: string } | null;
}) {
  const { pathname } = useLocation();
  if (!project) return null;
  if (projects.length < 2) {
    return (
      <span className="project-switch" data-testid="current-project">
        {project.name}
      </span>
    );
  }
  return (
    <PostForm action="/projects/switch" className="project-switch" aria-label="Project">
      <input type="hidden" name="next" value={pathname} />
      <label>
        <span className="skip">Project</span>
        {/* Keyed by the choice, so the select shows the new project after a switch, not the one it was left at. */}
        <select key={project.id} name="projectId" defaultValue={project.id} data-testid="current-project">
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="secondary">
        Switch
      </button>
    </PostForm>
  );
}

export default function Shell() {
  const { role, projects, project } = useLoaderData<typeof loader>();
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
          <NavLink to="/campaigns">Campaigns</NavLink>
          <NavLink to="/hunt">Hunt</NavLink>
          <NavLink to="/seo">Local SEO</NavLink>
          <NavLink to="/tickets">Tasks</NavLink>
          <NavLink to="/settings">Settings</NavLink>
        </nav>
        <ProjectSwitcher projects={projects} project={project} />
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
