/**
 * The presence object's table of live connections (SQLite), and the bounded `live-users-update`
 * it makes of them. One row per connection (a tab or device on a personal room); users are the
 * rows grouped by user id.
 */
import { type LiveUser, type LiveUsersUpdate, PRESENCE } from "../protocol";

/** What a personal room tells presence about one of its connections. */
export interface ConnectionReport {
  /** The socket's connection id (`SocketState.c`), unique within the hub. */
  id: string;
  userId: string;
  name?: string;
  /** Roles from the token. */
  roles: string[];
  /** The page this connection shows now; absent when the report does not change it. */
  path?: string;
  connectedAt: number;
  /** When the room last heard from this connection (ms). */
  seenAt: number;
  /** Per-connection counter kept in the socket's attachment: an older report never undoes a newer one. */
  version: number;
}

/** How long ids of removed connections are remembered, so that a report still in flight cannot bring one back. */
export const CLOSED_RETENTION_MS = 5 * 60_000;

interface UserRow {
  user_id: string;
  name: string | null;
  roles: string;
  path: string | null;
  connections: number;
  connected_at: number;
  last_seen_at: number;
  [key: string]: SqlStorageValue;
}

// The row of each user that moved last (navigated, or connected when none navigated), with the
// user's totals over all connections.
const LATEST_PER_USER = `
  WITH ranked AS (
    SELECT user_id, name, roles, path,
      row_number() OVER (PARTITION BY user_id ORDER BY moved DESC) AS rank,
      count(*) OVER (PARTITION BY user_id) AS connections,
      min(connected_at) OVER (PARTITION BY user_id) AS connected_at,
      max(last_seen_at) OVER (PARTITION BY user_id) AS last_seen_at
    FROM connections
  )
  SELECT user_id, name, roles, path, connections, connected_at, last_seen_at FROM ranked WHERE rank = 1`;

export class PresenceStore {
  constructor(private readonly sql: SqlStorage) {}

  static migrate(sql: SqlStorage): void {
    // `moved` orders path changes across a user's connections: the presence object's change counter.
    sql.exec(`CREATE TABLE IF NOT EXISTS connections (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      name TEXT,
      roles TEXT NOT NULL,
      path TEXT,
      connected_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL,
      moved INTEGER NOT NULL,
      version INTEGER NOT NULL
    )`);
    sql.exec("CREATE INDEX IF NOT EXISTS connections_user ON connections (user_id)");
    sql.exec("CREATE INDEX IF NOT EXISTS connections_seen ON connections (last_seen_at)");
    sql.exec("CREATE TABLE IF NOT EXISTS closed (id TEXT PRIMARY KEY, at INTEGER NOT NULL)");
    sql.exec("CREATE INDEX IF NOT EXISTS closed_at ON closed (at)");
  }

  /**
   * Records a report unless the connection was already removed or a newer report was recorded.
   * `change` is the presence object's change counter. Returns whether anything changed.
   */
  upsert(report: ConnectionReport, change: number): boolean {
    const hasPath = report.path !== undefined ? 1 : 0;
    const cursor = this.sql.exec(
      `INSERT INTO connections (id, user_id, name, roles, path, connected_at, last_seen_at, moved, version)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM closed WHERE id = ?)
       ON CONFLICT (id) DO UPDATE SET
         name = excluded.name,
         roles = excluded.roles,
         path = CASE WHEN ? THEN excluded.path ELSE connections.path END,
         moved = CASE WHEN ? THEN excluded.moved ELSE connections.moved END,
         last_seen_at = max(connections.last_seen_at, excluded.last_seen_at),
         version = excluded.version
       WHERE excluded.version > connections.version`,
      report.id,
      report.userId,
      report.name ?? null,
      JSON.stringify(report.roles),
      report.path ?? null,
      report.connectedAt,
      report.seenAt,
      change,
      report.version,
      report.id,
      hasPath,
      hasPath,
    );
    return cursor.rowsWritten > 0;
  }

  /** Removes connections and remembers their ids; returns how many were live. */
  remove(ids: readonly string[], now: number): number {
    let removed = 0;
    for (const id of ids) {
      removed += this.sql.exec("DELETE FROM connections WHERE id = ?", id).rowsWritten;
      this.sql.exec("INSERT OR REPLACE INTO closed (id, at) VALUES (?, ?)", id, now);
    }
    return removed;
  }

  /** Moves a connection's last sign of life forward; returns whether it moved. */
  touch(id: string, seenAt: number): boolean {
    return (
      this.sql.exec("UPDATE connections SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?", seenAt, id, seenAt)
        .rowsWritten > 0
    );
  }

  /** Connections not heard from since `before`, oldest first. */
  silentSince(before: number, limit: number): { id: string; userId: string; lastSeenAt: number }[] {
    return this.sql
      .exec<{ id: string; user_id: string; last_seen_at: number }>(
        "SELECT id, user_id, last_seen_at FROM connections WHERE last_seen_at < ? ORDER BY last_seen_at LIMIT ?",
        before,
        limit,
      )
      .toArray()
      .map((row) => ({ id: row.id, userId: row.user_id, lastSeenAt: row.last_seen_at }));
  }

  connectionCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM connections").one().n;
  }

  forgetClosedBefore(before: number): void {
    this.sql.exec("DELETE FROM closed WHERE at < ?", before);
  }

  /** The most recently active users (at most `limit`), and totals over everyone. */
  liveUsers(limit: number = PRESENCE.maxListedUsers): LiveUsersUpdate {
    const users = this.sql
      .exec<UserRow>(`${LATEST_PER_USER} ORDER BY last_seen_at DESC, user_id LIMIT ?`, limit)
      .toArray()
      .map(toLiveUser);
    const totals = this.sql
      .exec<{ total: number; connections: number }>(
        "SELECT count(DISTINCT user_id) AS total, count(*) AS connections FROM connections",
      )
      .one();
    const byRole: Record<string, number> = {};
    const roles = this.sql.exec<{ role: string; n: number }>(
      `WITH latest AS (${LATEST_PER_USER})
       SELECT coalesce(role.value, 'customer') AS role, count(DISTINCT latest.user_id) AS n
       FROM latest LEFT JOIN json_each(latest.roles) AS role GROUP BY 1 ORDER BY 1`,
    );
    // Defined, not assigned: a role may be named "__proto__", which an assignment would drop. (A
    // null-prototype object would do too, but cannot travel over RPC.)
    for (const row of roles)
      Object.defineProperty(byRole, row.role, { value: row.n, enumerable: true, writable: true });
    return {
      users,
      total: totals.total,
      connections: totals.connections,
      byRole,
      truncated: totals.total > users.length,
    };
  }
}

function toLiveUser(row: UserRow): LiveUser {
  return {
    userId: row.user_id,
    ...(row.name !== null ? { name: row.name } : {}),
    roles: JSON.parse(row.roles) as string[],
    path: row.path,
    connections: row.connections,
    connectedAt: row.connected_at,
    lastSeenAt: row.last_seen_at,
  };
}
