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

/**
 * Both tables are mirrored in memory, read whole on first use and written
 * through: every API request asks for a verdict (decision 012), and reading
 * SQLite for it was a measurable share of a request's object call
 * (decision 032). The mirror cannot go stale: this object is the only writer
 * of its own tables, and it starts empty again after an eviction.
 */
export class Sessions {
  private versions: Map<string, number> | undefined;
  private revoked: Map<string, number> | undefined;

  constructor(private readonly host: SessionsHost) {}

  membershipVersion(userId: string): number {
    return this.versionsByUser().get(userId) ?? 0;
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
    this.versionsByUser().set(userId, version);
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
    const now = this.host.now();
    const revoked = this.revokedSessions();
    sql.exec("DELETE FROM revoked_sessions WHERE until < ?", now);
    for (const [expired, expiresAt] of revoked) if (expiresAt < now) revoked.delete(expired);
    const kept = sql
      .exec<{ until: number }>(
        `INSERT INTO revoked_sessions (sid, until) VALUES (?, ?)
         ON CONFLICT (sid) DO UPDATE SET until = MAX(until, excluded.until)
         RETURNING until`,
        sid,
        until,
      )
      .one().until;
    revoked.set(sid, kept);
    this.host.closeSockets((owner) => owner.sid === sid, "session ended");
  }

  verdict(token: { userId: string; sid: string; membershipVersion: number }): SessionVerdict {
    if (this.revokedSessions().has(token.sid)) return "revoked-session";
    return token.membershipVersion < this.membershipVersion(token.userId) ? "stale-membership" : "current";
  }

  private versionsByUser(): Map<string, number> {
    this.versions ??= tableAsMap(this.host.sql, "SELECT user_id AS key, version AS value FROM member_versions");
    return this.versions;
  }

  private revokedSessions(): Map<string, number> {
    this.revoked ??= tableAsMap(this.host.sql, "SELECT sid AS key, until AS value FROM revoked_sessions");
    return this.revoked;
  }
}

/** A two-column table, whole, as a map: `query` names its columns `key` and `value`. */
function tableAsMap(sql: SqlStorage, query: string): Map<string, number> {
  return new Map(
    sql
      .exec<{ key: string; value: number }>(query)
      .toArray()
      .map((row) => [row.key, row.value]),
  );
}
