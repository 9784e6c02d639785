/**
 * The users a backend granted into a room (only grantable kinds: order rooms), in the room's
 * SQLite storage. Each grant remembers the room's seq when it was made: a socket the grant admits
 * replays only what was published from then on, never what came before it or while it was revoked.
 */
export interface Grant {
  /** The room's seq when the grant was made. */
  seq: number;
  grantedAt: number;
}

export class RoomGrants {
  constructor(private readonly sql: SqlStorage) {}

  /** `fresh`: the room's storage is new, so there is no earlier layout to upgrade. */
  static migrate(sql: SqlStorage, fresh = false): void {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS grants (user_id TEXT PRIMARY KEY, granted_at INTEGER NOT NULL, seq INTEGER NOT NULL DEFAULT 0)",
    );
    // Grants stored before they kept a seq see the room's whole history, as they did then.
    if (!fresh && !sql.exec("SELECT * FROM grants LIMIT 0").columnNames.includes("seq")) {
      sql.exec("ALTER TABLE grants ADD COLUMN seq INTEGER NOT NULL DEFAULT 0");
    }
  }

  /** Grants `userId` from `seq` on; a grant that already exists keeps its seq. */
  add(userId: string, seq: number, now: number): void {
    this.sql.exec(
      "INSERT INTO grants (user_id, granted_at, seq) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
      userId,
      now,
      seq,
    );
  }

  remove(userId: string): void {
    this.sql.exec("DELETE FROM grants WHERE user_id = ?", userId);
  }

  get(userId: string): Grant | null {
    const row = this.sql
      .exec<{ seq: number; granted_at: number }>("SELECT seq, granted_at FROM grants WHERE user_id = ?", userId)
      .toArray()[0];
    return row ? { seq: row.seq, grantedAt: row.granted_at } : null;
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM grants").one().n;
  }

  /** When the newest grant was made (ms), or null. */
  lastGrantAt(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT max(granted_at) AS at FROM grants").one().at;
  }
}
