/**
 * The presence object's table of live connections (SQLite), and the bounded `live-users-update`
 * it makes of them. One row per connection (a tab or device on a personal room); users are the
 * rows grouped by user id.
 */
import { type LiveUser, type LiveUsersUpdate, PRESENCE } from "../protocol";

/** What a personal room tells presence about one of its connections. */
export interface ConnectionReport {
  /** The socket's connection id (`SocketState.connectionId`), unique within the hub. */
  id: string;
  name?: string;
  /** Roles from the token. */
  roles: string[];
  /** The page this connection shows now; null before its first navigation. */
  path: string | null;
  connectedAt: number;
  /** When the connection last navigated (or connected): the user's path is that of the latest. */
  movedAt: number;
  /** When the room last heard from this connection (ms). */
  seenAt: number;
}

/**
 * Everything a personal room knows of its user's connections: presence replaces what it had for
 * the user with it, so connections that vanished (a hub restart, a lost close) go at once.
 */
export interface UserSnapshot {
  userId: string;
  /** Increases with every snapshot of the user's room: an older snapshot never undoes a newer one. */
  version: number;
  connections: ConnectionReport[];
}

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
      row_number() OVER (PARTITION BY user_id ORDER BY moved DESC, connected_at DESC, id) AS rank,
      count(*) OVER (PARTITION BY user_id) AS connections,
      min(connected_at) OVER (PARTITION BY user_id) AS connected_at,
      max(last_seen_at) OVER (PARTITION BY user_id) AS last_seen_at
    FROM connections
  )
  SELECT user_id, name, roles, path, connections, connected_at, last_seen_at FROM ranked WHERE rank = 1`;

export class PresenceStore {
  constructor(private readonly sql: SqlStorage) {}

  static migrate(sql: SqlStorage): void {
    // `moved`: when the connection last navigated (or connected); the user's path is the latest one's.
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
    // Reports once carried per-connection versions and closed ids were remembered; snapshots of
    // whole users replaced both.
    sql.exec("DROP TABLE IF EXISTS closed");
  }

  /**
   * Replaces the user's connections with the snapshot, unless a newer snapshot of theirs was
   * recorded. Returns whether it changed anything.
   */
  replaceUser(snapshot: UserSnapshot): boolean {
    const recorded = this.sql
      .exec<{ version: number | null }>(
        "SELECT max(version) AS version FROM connections WHERE user_id = ?",
        snapshot.userId,
      )
      .one().version;
    if (recorded !== null && recorded >= snapshot.version) return false;
    // A user presence holds no rows of (most reports in a storm of first connections): nothing to remove.
    const ids = JSON.stringify(snapshot.connections.map((connection) => connection.id));
    const removed =
      recorded === null
        ? 0
        : this.sql.exec(
            "DELETE FROM connections WHERE user_id = ? AND id NOT IN (SELECT value FROM json_each(?))",
            snapshot.userId,
            ids,
          ).rowsWritten;
    for (const connection of snapshot.connections) {
      this.sql.exec(
        `INSERT INTO connections (id, user_id, name, roles, path, connected_at, last_seen_at, moved, version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET
           name = excluded.name, roles = excluded.roles, path = excluded.path, moved = excluded.moved,
           last_seen_at = max(connections.last_seen_at, excluded.last_seen_at), version = excluded.version`,
        connection.id,
        snapshot.userId,
        connection.name ?? null,
        JSON.stringify(connection.roles),
        connection.path,
        connection.connectedAt,
        connection.seenAt,
        connection.movedAt,
        snapshot.version,
      );
    }
    return removed > 0 || snapshot.connections.length > 0;
  }

  /** Removes connections the sweep found gone; returns how many were live. */
  remove(ids: readonly string[]): number {
    let removed = 0;
    for (const id of ids) removed += this.sql.exec("DELETE FROM connections WHERE id = ?", id).rowsWritten;
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
