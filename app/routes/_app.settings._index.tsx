import { redirect } from "@remix-run/cloudflare";
import { SETTINGS_PAGES } from "../lib/settings-nav";

/** /settings (the header's link) opens the first settings page; every role may read them all. */
export const loader = () => redirect(SETTINGS_PAGES[0]?.path ?? "/");
