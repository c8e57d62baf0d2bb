import type { SqliteMigration } from "../sqlite-migrations";

/**
 * Whether an access token may still be used, decided without Postgres
 * (docs/decisions/012-stale-roles-and-sessions.md). Access tokens live 15
 * minutes and carry the role they were minted with; this capability is what
 * makes a role change, a removal or a logout take effect before they expire.
 *
 * - `member_versions`: one counter per user, bumped by the members service
 *   whenever that user's membership changes (role change, removal). A token
 *   carries the counter it was minted at (`mv`); an older one is stale.
 * - `revoked_sessions`: session ids (`sid`, one per login) ended by logout or
 *   by refresh-token reuse, kept only until every access token of the session
 *   has expired, so the table stays small without a timer.
 */
export const sessionMigrations: readonly SqliteMigration[] = [
  {
    id: "sessions/1",
    sql: `CREATE TABLE member_versions (user_id TEXT PRIMARY KEY, version INTEGER NOT NULL);
          CREATE TABLE revoked_sessions (sid TEXT PRIMARY KEY, until INTEGER NOT NULL);`,
  },
];

export type SessionVerdict = "current" | "stale-membership" | "revoked-session";

export function membershipVersion(sql: SqlStorage, userId: string): number {
  const [row] = sql
    .exec<{ version: number }>("SELECT version FROM member_versions WHERE user_id = ?", userId)
    .toArray();
  return row?.version ?? 0;
}

export function bumpMembershipVersion(sql: SqlStorage, userId: string): number {
  return sql
    .exec<{ version: number }>(
      `INSERT INTO member_versions (user_id, version) VALUES (?, 1)
       ON CONFLICT (user_id) DO UPDATE SET version = version + 1
       RETURNING version`,
      userId,
    )
    .one().version;
}

/** `until`: when the session's last access token expires; the row is useless after that. */
export function revokeSession(sql: SqlStorage, sid: string, until: number, now: number): void {
  sql.exec("DELETE FROM revoked_sessions WHERE until < ?", now);
  sql.exec(
    `INSERT INTO revoked_sessions (sid, until) VALUES (?, ?)
     ON CONFLICT (sid) DO UPDATE SET until = MAX(until, excluded.until)`,
    sid,
    until,
  );
}

export function sessionVerdict(
  sql: SqlStorage,
  token: { userId: string; sid: string; membershipVersion: number },
): SessionVerdict {
  const revoked = sql.exec("SELECT 1 FROM revoked_sessions WHERE sid = ?", token.sid).toArray().length > 0;
  if (revoked) return "revoked-session";
  return token.membershipVersion < membershipVersion(sql, token.userId) ? "stale-membership" : "current";
}
