import type { Role } from "../../workers/context";

/**
 * What a page shows in place of data the caller's role may not read. The
 * loader does not load that data at all (the API refuses the same role), so
 * nothing of it reaches the HTML or the page's `.data`.
 */
export function RoleNotice({ least, what }: { least: Role; what: string }) {
  return (
    <p className="empty" data-testid="role-notice">
      {`Only ${least}s and above can see ${what}.`}
    </p>
  );
}
