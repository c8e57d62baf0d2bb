import { useMatches } from "@remix-run/react";

/**
 * The hidden `csrf` field every form posts (checked by formAction and
 * publicFormAction in lib/session.server.ts). The token comes from the
 * nearest loader that gave one: the signed-in shell (routes/_app.tsx) for
 * every signed-in page, or the page's own loader before log-in. So pages
 * never pass it around.
 */
export function CsrfField() {
  const carrier = useMatches()
    .map((match) => match.data)
    .findLast((data): data is { csrf: string } => typeof (data as { csrf?: unknown } | null)?.csrf === "string");
  return <input type="hidden" name="csrf" value={carrier?.csrf ?? ""} />;
}
