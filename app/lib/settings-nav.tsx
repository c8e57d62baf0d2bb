import { NavLink } from "@remix-run/react";

const SECTIONS = [
  ["/settings/speed-to-lead", "Speed-to-lead"],
  ["/settings/dna", "DNA"],
  ["/settings/team", "Team"],
  ["/settings/api-keys", "API keys"],
  ["/settings/webhooks", "Webhooks"],
  ["/settings/llm", "AI provider"],
  ["/settings/usage", "Usage"],
  ["/settings/audit", "Audit log"],
] as const;

/** The settings sections, one page each. */
export function SettingsNav() {
  return (
    <nav aria-label="Settings" className="row" style={{ marginBottom: "1rem" }}>
      {SECTIONS.map(([to, label]) => (
        <NavLink key={to} to={to}>
          {label}
        </NavLink>
      ))}
    </nav>
  );
}
