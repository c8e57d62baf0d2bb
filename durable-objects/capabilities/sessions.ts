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

/** Who a socket belongs to, as far as ending it is concerned. */
interface SessionOwner {
  userId?: string;
  sid?: string;
}

interface SessionsHost {
  sql: SqlStorage;
  now(): number;
  /** Closes the open sockets `whose` picks, telling the client why. */
  closeSockets(whose: (owner: SessionOwner) => boolean, reason: string): void;
}

export class Sessions {
  constructor(private readonly host: SessionsHost) {}

  membershipVersion(userId: string): number {
    const [row] = this.host.sql
      .exec<{ version: number }>("SELECT version FROM member_versions WHERE user_id = ?", userId)
      .toArray();
    return row?.version ?? 0;
  }

  /** The user's membership changed: tokens minted before now are stale, and their open sockets close. */
  bumpMembershipVersion(userId: string): number {
    const version = this.host.sql
      .exec<{ version: number }>(
        `INSERT INTO member_versions (user_id, version) VALUES (?, 1)
         ON CONFLICT (user_id) DO UPDATE SET version = version + 1
         RETURNING version`,
        userId,
      )
      .one().version;
    this.host.closeSockets((owner) => owner.userId === userId, "membership changed: reconnect with a fresh token");
    return version;
  }

  /**
   * Logout (or a leaked refresh family): the session's access tokens and
   * sockets end now. `until`: when the session's last access token expires;
   * the row is useless after that.
   */
  revokeSession(sid: string, until: number): void {
    const { sql } = this.host;
    sql.exec("DELETE FROM revoked_sessions WHERE until < ?", this.host.now());
    sql.exec(
      `INSERT INTO revoked_sessions (sid, until) VALUES (?, ?)
       ON CONFLICT (sid) DO UPDATE SET until = MAX(until, excluded.until)`,
      sid,
      until,
    );
    this.host.closeSockets((owner) => owner.sid === sid, "session ended");
  }

  verdict(token: { userId: string; sid: string; membershipVersion: number }): SessionVerdict {
    const revoked = this.host.sql.exec("SELECT 1 FROM revoked_sessions WHERE sid = ?", token.sid).toArray().length > 0;
    if (revoked) return "revoked-session";
    return token.membershipVersion < this.membershipVersion(token.userId) ? "stale-membership" : "current";
  }
}
