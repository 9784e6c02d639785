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

/** How often, in appended events, the log is trimmed. */
const TRIM_EVERY = 50;

export class RoomHistory {
  private seqCache: number | null = null;
  private epochCache: string | null = null;
  private appendedSinceTrim = 0;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly now: () => number = Date.now,
  ) {}

  static migrate(storage: DurableObjectStorage): void {
    storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, frame TEXT NOT NULL, size INTEGER NOT NULL, ts INTEGER NOT NULL)",
    );
    storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS publishes (id TEXT PRIMARY KEY, hash TEXT NOT NULL, delivered INTEGER NOT NULL, ts INTEGER NOT NULL)",
    );
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
  append(room: string, event: string, data: unknown): { seq: number; frame: string } {
    const seq = this.seq + 1;
    const frame = JSON.stringify({ event, room, data, seq, epoch: this.epoch });
    this.seqCache = seq;
    this.storage.sql.exec(
      "INSERT INTO events (seq, frame, size, ts) VALUES (?, ?, ?, ?)",
      seq,
      frame,
      frame.length,
      this.now(),
    );
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
    this.storage.sql.exec("DELETE FROM publishes WHERE ts < ?", this.now() - HISTORY.idempotencyWindowMs);
  }

  /** The first answer to a publish with this idempotency key, if it came within the window. */
  findPublish(id: string): PublishRecord | null {
    const row = this.storage.sql
      .exec<{ hash: string; delivered: number; ts: number }>(
        "SELECT hash, delivered, ts FROM publishes WHERE id = ?",
        id,
      )
      .toArray()[0];
    if (!row || row.ts < this.now() - HISTORY.idempotencyWindowMs) return null;
    return { hash: row.hash, delivered: row.delivered };
  }

  recordPublish(id: string, hash: string, delivered: number): void {
    this.storage.sql.exec(
      "INSERT OR REPLACE INTO publishes (id, hash, delivered, ts) VALUES (?, ?, ?, ?)",
      id,
      hash,
      delivered,
      this.now(),
    );
  }
}

function newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
