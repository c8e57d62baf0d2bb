import { Link } from "@remix-run/react";

/**
 * /settings (the header's link): the settings navigation (from the layout,
 * routes/_app.settings.tsx) and a way back into the welcome wizard, which
 * drafts the setup again from the website and walks through it.
 */
export default function SettingsHome() {
  return (
    <>
      <h1>Settings</h1>
      <p>Pick a page above, or walk through the setup again from your website.</p>
      <p>
        <Link to="/welcome" data-testid="run-setup-again">
          Run setup again
        </Link>
      </p>
    </>
  );
}
