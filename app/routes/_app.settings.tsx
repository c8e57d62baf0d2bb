import type { MetaFunction } from "@remix-run/cloudflare";
import { Outlet, useLocation, useMatches } from "@remix-run/react";
import { SETTINGS_PAGES, type SettingsHandle, SettingsNav } from "../lib/settings-nav";

/**
 * Every settings page: its heading, the settings navigation, then the page.
 * The session check is the shell's (routes/_app.tsx); each page's own loader
 * and action still check the role they need.
 */
const pageAt = (pathname: string) => SETTINGS_PAGES.find((page) => page.path === pathname.replace(/\/$/, ""));

export const meta: MetaFunction = ({ location }) => {
  const page = pageAt(location.pathname);
  return [{ title: `${page?.title ?? page?.label ?? "Settings"} · Apex` }];
};

export default function SettingsLayout() {
  const { pathname } = useLocation();
  const leaf = useMatches().at(-1);
  const named = (leaf?.handle as SettingsHandle | undefined)?.heading;
  const heading = named && leaf?.data ? named(leaf.data) : pageAt(pathname)?.label;
  return (
    <>
      {heading ? <h1>{heading}</h1> : null}
      <SettingsNav />
      <Outlet />
    </>
  );
}
