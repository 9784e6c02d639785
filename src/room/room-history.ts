/**
 * A room's event log: every event the room delivers gets the next `seq` and the room's `epoch`,
 * and its frame is kept in SQLite so that a client coming back with `since` receives exactly what
 * it missed. The epoch is drawn when the log is created, so it changes only if the log is lost.
 *
 * Retention: an event is kept while it is among the last HISTORY.minEvents OR younger than
 * HISTORY.minAgeMs, and never beyond HISTORY.maxEvents events or HISTORY.maxBytes of frames.
 */
import { HISTORY } from "../protocol";

export interface Replay {
  /** Whether the log still covers everything after `since` in the client's epoch. */
  recovered: boolean;
  /** Frames after `since`, in order (empty when not recovered). */
  frames: string[];
}

export interface PublishRecord {
  hash: string;
  delivered: number;
}

/** A backend publish's idempotency key, kept on its event row (see `append`). */
export interface PublishKey {
  id: string;
  hash: string;
  /** Sockets the event went to: what a repeat of the key answers. */
  delivered: number;
}

/** How often, in appended events, the log is trimmed. */
const TRIM_EVERY = 50;

export class RoomHistory {
  private seqCache: number | null = null;
  private epochCache: string | null = null;
  private appendedSinceTrim = 0;
  private keys: Map<string, PublishRecord & { ts: number }> | null = null;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly now: () => number = Date.now,
  ) {}

  static migrate(storage: DurableObjectStorage): void {
    storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, frame TEXT NOT NULL, size INTEGER NOT NULL, ts INTEGER NOT NULL, pid TEXT, phash TEXT, delivered INTEGER)",
    );
    // Rooms created before idempotency keys moved onto the event rows.
    const columns = storage.sql.exec("SELECT * FROM events LIMIT 0").columnNames;
    if (!columns.includes("pid")) {
      for (const column of ["pid TEXT", "phash TEXT", "delivered INTEGER"]) {
        storage.sql.exec(`ALTER TABLE events ADD COLUMN ${column}`);
      }
    }
    storage.sql.exec("DROP TABLE IF EXISTS publishes");
    if (storage.kv.get("epoch") === undefined) storage.kv.put("epoch", newEpoch());
  }

  /** Drawn once per log and never changed, so read from storage once per wake-up. */
  get epoch(): string {
    this.epochCache ??= this.storage.kv.get("epoch") as string;
    return this.epochCache;
  }

  /**
   * The seq of the last event, 0 before the first. Read from the log itself (trimming always
   * keeps the newest events), so a publish writes one row, not a row and a counter.
   */
  get seq(): number {
    if (this.seqCache === null) {
      this.seqCache =
        this.storage.sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM events").one().seq ?? 0;
    }
    return this.seqCache;
  }

  /**
   * Gives the event the next seq, stores its frame, and returns the frame to send.
   * The frame is serialized here, once, for every socket and for the log.
   */
  append(room: string, event: string, data: unknown, key?: PublishKey): { seq: number; frame: string } {
    const seq = this.seq + 1;
    // A backend's publish id travels with the event, so a client in several of the rooms it named delivers it once.
    const epoch = this.epoch;
    const frame = JSON.stringify(
      key ? { event, room, data, seq, epoch, publishId: key.id } : { event, room, data, seq, epoch },
    );
    this.seqCache = seq;
    const ts = this.now();
    // One row per event, idempotency key included: rows written are most of a publish's bill.
    this.storage.sql.exec(
      "INSERT INTO events (seq, frame, size, ts, pid, phash, delivered) VALUES (?, ?, ?, ?, ?, ?, ?)",
      seq,
      frame,
      frame.length,
      ts,
      key?.id ?? null,
      key?.hash ?? null,
      key?.delivered ?? null,
    );
    if (key) this.recentKeys().set(key.id, { hash: key.hash, delivered: key.delivered, ts });
    if (++this.appendedSinceTrim >= TRIM_EVERY) this.trim();
    return { seq, frame };
  }

  /** What a client that last saw `since` in `epoch` has missed. */
  replay(since: number, epoch: string): Replay {
    const current = this.seq;
    if (epoch !== this.epoch || since > current) return { recovered: false, frames: [] };
    if (since === current) return { recovered: true, frames: [] };
    const oldest = this.storage.sql.exec<{ seq: number | null }>("SELECT min(seq) AS seq FROM events").one().seq;
    if (oldest === null || oldest > since + 1) return { recovered: false, frames: [] };
    const frames = this.storage.sql
      .exec<{ frame: string }>("SELECT frame FROM events WHERE seq > ? ORDER BY seq", since)
      .toArray()
      .map((row) => row.frame);
    return { recovered: true, frames };
  }

  /** Drops what retention no longer promises to keep. */
  trim(): void {
    this.appendedSinceTrim = 0;
    const current = this.seq;
    const keepFrom = current - HISTORY.minEvents; // the last minEvents are always kept
    this.storage.sql.exec(
      "DELETE FROM events WHERE seq <= ? AND (ts < ? OR seq <= ?)",
      keepFrom,
      this.now() - HISTORY.minAgeMs,
      current - HISTORY.maxEvents,
    );
    const overBudget = this.storage.sql
      .exec<{ seq: number }>(
        "SELECT seq FROM (SELECT seq, SUM(size) OVER (ORDER BY seq DESC) AS total FROM events) WHERE total > ? ORDER BY seq DESC LIMIT 1",
        HISTORY.maxBytes,
      )
      .toArray()[0];
    if (overBudget) this.storage.sql.exec("DELETE FROM events WHERE seq <= ? AND seq <= ?", overBudget.seq, keepFrom);
    const windowStart = this.now() - HISTORY.idempotencyWindowMs;
    for (const [id, record] of this.keys ?? []) if (record.ts < windowStart) this.keys?.delete(id);
  }

  /** The first answer to a publish with this idempotency key, if it came within the window. */
  findPublish(id: string): PublishRecord | null {
    const record = this.recentKeys().get(id);
    if (!record || record.ts < this.now() - HISTORY.idempotencyWindowMs) return null;
    return { hash: record.hash, delivered: record.delivered };
  }

  /**
   * The keys of the window, read from the event rows once per wake-up (a few rows: only the last
   * 10 minutes), then kept in memory as events are appended.
   */
  private recentKeys(): Map<string, PublishRecord & { ts: number }> {
    if (this.keys) return this.keys;
    this.keys = new Map();
    const rows = this.storage.sql.exec<{ pid: string; phash: string; delivered: number; ts: number }>(
      "SELECT pid, phash, delivered, ts FROM events WHERE pid IS NOT NULL AND ts >= ? ORDER BY seq",
      this.now() - HISTORY.idempotencyWindowMs,
    );
    for (const row of rows) this.keys.set(row.pid, { hash: row.phash, delivered: row.delivered, ts: row.ts });
    return this.keys;
  }
}

function newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
