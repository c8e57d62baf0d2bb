import { NavLink } from "@remix-run/react";

/**
 * The settings pages, in the order the navigation lists them. A page is
 * `routes/_app.settings.<x>.tsx` plus one entry here: the layout
 * (routes/_app.settings.tsx) gives it its navigation, its <h1> (the label, or
 * the page's `handle.heading`) and its title.
 */
export const SETTINGS_PAGES: readonly { path: string; label: string; title?: string }[] = [
  { path: "/settings/speed-to-lead", label: "Speed-to-lead" },
  { path: "/settings/phone-numbers", label: "Phone numbers" },
  { path: "/settings/lead-sources", label: "Lead sources" },
  { path: "/settings/dna", label: "DNA", title: "DNA settings" },
  { path: "/settings/projects", label: "Projects" },
  { path: "/settings/team", label: "Team" },
  { path: "/settings/api-keys", label: "API keys" },
  { path: "/settings/webhooks", label: "Webhooks" },
  { path: "/settings/llm", label: "AI provider" },
  { path: "/settings/usage", label: "Usage" },
  { path: "/settings/audit", label: "Audit log" },
];

/** What a settings page may tell the layout: a heading that names something from its loader's data. */
export interface SettingsHandle<Loader extends (...args: never[]) => unknown = () => unknown> {
  heading?: (data: Awaited<ReturnType<Loader>>) => string;
  /** Live channels whose events reload the page (read by the shell, routes/_app.tsx). */
  channels?: string[];
}

export function SettingsNav() {
  return (
    <nav aria-label="Settings" className="row" style={{ marginBottom: "1rem" }}>
      {SETTINGS_PAGES.map(({ path, label }) => (
        <NavLink key={path} to={path}>
          {label}
        </NavLink>
      ))}
    </nav>
  );
}
