/**
 * A room's event log: every event the room delivers gets the next `seq` and the room's `epoch`,
 * and its frame is kept in SQLite so that a client coming back with `since` receives exactly what
 * it missed. The epoch is drawn when the log is created, so it changes only if the log is lost.
 *
 * Retention is a property of the stored rows, not of anything counted in memory (an object is
 * evicted between most events): events live in a ring of HISTORY.maxEvents slots, `seq` modulo
 * the ring's size, so each append overwrites the event that many before it, one row written per
 * publish. The byte cap (HISTORY.maxBytes of UTF-8 frames) holds after every append too: when an
 * append takes the total over it, the oldest events are deleted. The stored events are always one
 * run of consecutive seqs, from `oldest` to `seq`.
 */
import { HISTORY } from "../protocol";
import { utf8Length } from "../utf8-length";

export type ReplayRefusal = "epoch" | "history" | "replay_limit";

export type Replay = { recovered: true; frames: string[] } | { recovered: false; reason: ReplayRefusal };

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

/** What the stored rows say, read once per wake-up and kept up to date by every append. */
interface LogState {
  /** The seq of the last event, 0 before the first. */
  seq: number;
  /** Stored events: seqs `seq - count + 1` to `seq`. */
  count: number;
  /** Their frames' UTF-8 bytes. */
  bytes: number;
}

const RING = HISTORY.maxEvents;

export class RoomHistory {
  private epochCache: string | null = null;
  private state: LogState | null = null;
  private keys: Map<string, PublishRecord & { ts: number }> | null = null;
  /** Keys past the window are dropped once the map holds this many. */
  private pruneKeysAt: number = RING;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly now: () => number = Date.now,
  ) {}

  /** `fresh`: the room's storage is new, so there is no earlier layout to upgrade. */
  static migrate(storage: DurableObjectStorage, fresh = false): void {
    const { sql } = storage;
    if (fresh) {
      createRing(storage);
      storage.kv.put("epoch", newEpoch());
      return;
    }
    const exists = sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'events'").toArray();
    const columns = exists.length > 0 ? sql.exec("SELECT * FROM events LIMIT 0").columnNames : [];
    if (exists.length > 0 && !columns.includes("slot")) {
      // Rooms stored before the ring (events keyed by seq, maybe without key columns): keep the
      // newest events that fit the ring and the byte cap, in their slots.
      const keyed = columns.includes("pid");
      sql.exec("ALTER TABLE events RENAME TO events_before_ring");
      createRing(storage);
      sql.exec(
        `INSERT INTO events (slot, seq, frame, size, ts, pid, phash, delivered)
         SELECT seq % ${RING}, seq, frame, length(CAST(frame AS BLOB)), ts,
           ${keyed ? "pid, phash, delivered" : "NULL, NULL, NULL"}
         FROM events_before_ring ORDER BY seq DESC LIMIT ${RING}`,
      );
      sql.exec("DROP TABLE events_before_ring");
      new RoomHistory(storage).trimBytes();
    } else {
      createRing(storage);
    }
    sql.exec("DROP TABLE IF EXISTS publishes");
    if (storage.kv.get("epoch") === undefined) storage.kv.put("epoch", newEpoch());
  }

  /** The log was just created (`migrate` on new storage): nothing is stored, so nothing is read. */
  startedEmpty(): void {
    this.state = { seq: 0, count: 0, bytes: 0 };
    this.keys = new Map();
  }

  /** Drawn once per log and never changed, so read from storage once per wake-up. */
  get epoch(): string {
    this.epochCache ??= this.storage.kv.get("epoch") as string;
    return this.epochCache;
  }

  /** The seq of the last event, 0 before the first. */
  get seq(): number {
    return this.log().seq;
  }

  /** The oldest stored seq (seq + 1 when nothing is stored). */
  get oldest(): number {
    const { seq, count } = this.log();
    return seq - count + 1;
  }

  /** When the last event was appended (ms), or null before the first. */
  lastEventAt(): number | null {
    const { seq } = this.log();
    if (seq === 0) return null;
    return (
      this.storage.sql.exec<{ ts: number }>("SELECT ts FROM events WHERE slot = ?", seq % RING).toArray()[0]?.ts ?? null
    );
  }

  /**
   * Gives the event the next seq, stores its frame, and returns the frame to send.
   * The frame is serialized here, once, for every socket and for the log.
   */
  append(room: string, event: string, data: unknown, key?: PublishKey): { seq: number; frame: string } {
    const log = this.log();
    const seq = log.seq + 1;
    // A backend's publish id travels with the event, so a client in several of the rooms it named delivers it once.
    const epoch = this.epoch;
    const frame = JSON.stringify(
      key ? { event, room, data, seq, epoch, publishId: key.id } : { event, room, data, seq, epoch },
    );
    const size = utf8Length(frame);
    const slot = seq % RING;
    if (log.count === RING) {
      // The slot holds the oldest event, which this one replaces.
      log.bytes -= this.storage.sql.exec<{ size: number }>("SELECT size FROM events WHERE slot = ?", slot).one().size;
      log.count--;
    }
    const ts = this.now();
    // One row per event, idempotency key included: rows written are most of a publish's bill.
    this.storage.sql.exec(
      `INSERT INTO events (slot, seq, frame, size, ts, pid, phash, delivered) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (slot) DO UPDATE SET seq = excluded.seq, frame = excluded.frame, size = excluded.size,
         ts = excluded.ts, pid = excluded.pid, phash = excluded.phash, delivered = excluded.delivered`,
      slot,
      seq,
      frame,
      size,
      ts,
      key?.id ?? null,
      key?.hash ?? null,
      key?.delivered ?? null,
    );
    log.seq = seq;
    log.count++;
    log.bytes += size;
    if (log.bytes > HISTORY.maxBytes) this.trimBytes();
    if (key) this.recentKeys().set(key.id, { hash: key.hash, delivered: key.delivered, ts });
    return { seq, frame };
  }

  /**
   * What a client that last saw `since` in `epoch` has missed, from `floor` on (a grant-admitted
   * socket sees nothing from before its grant). `allowBytes` says whether the caller may send that
   * many bytes of replay now (the per-user replay budget).
   */
  replay(since: number, epoch: string, floor: number, allowBytes: (bytes: number) => boolean): Replay {
    const current = this.seq;
    if (epoch !== this.epoch || since > current) return { recovered: false, reason: "epoch" };
    const from = Math.max(since, Math.min(floor, current));
    if (from === current) return { recovered: true, frames: [] };
    if (from + 1 < this.oldest) return { recovered: false, reason: "history" };
    // What it would cost first: a refused resume reads no frames.
    const bytes =
      this.storage.sql.exec<{ bytes: number | null }>("SELECT sum(size) AS bytes FROM events WHERE seq > ?", from).one()
        .bytes ?? 0;
    if (!allowBytes(bytes)) return { recovered: false, reason: "replay_limit" };
    const frames = this.storage.sql
      .exec<{ frame: string }>("SELECT frame FROM events WHERE seq > ? ORDER BY seq", from)
      .toArray()
      .map((row) => row.frame);
    return { recovered: true, frames };
  }

  /** Deletes the oldest events until the frames fit HISTORY.maxBytes; the newest always stays. */
  private trimBytes(): void {
    const log = this.log();
    const first = log.seq - log.count + 1;
    let oldest = first;
    // Oldest first, each by its slot: usually one or two events make room for the new one.
    while (log.bytes > HISTORY.maxBytes && oldest < log.seq) {
      const row = this.storage.sql
        .exec<{ size: number }>("SELECT size FROM events WHERE slot = ?", oldest % RING)
        .one();
      log.bytes -= row.size;
      log.count--;
      oldest++;
    }
    if (oldest > first) this.storage.sql.exec("DELETE FROM events WHERE seq < ?", oldest);
  }

  /** The first answer to a publish with this idempotency key, if it came within the window. */
  findPublish(id: string): PublishRecord | null {
    const record = this.recentKeys().get(id);
    if (!record || record.ts < this.now() - HISTORY.idempotencyWindowMs) return null;
    return { hash: record.hash, delivered: record.delivered };
  }

  private log(): LogState {
    if (this.state) return this.state;
    const row = this.storage.sql
      .exec<{ seq: number | null; count: number; bytes: number | null }>(
        "SELECT max(seq) AS seq, count(*) AS count, sum(size) AS bytes FROM events",
      )
      .one();
    this.state = { seq: row.seq ?? 0, count: row.count, bytes: row.bytes ?? 0 };
    return this.state;
  }

  /**
   * The keys of the window, read from the event rows once per wake-up (a few rows: only the last
   * 10 minutes), then kept in memory as events are appended; those past the window are dropped
   * as new ones come.
   */
  private recentKeys(): Map<string, PublishRecord & { ts: number }> {
    if (this.keys) {
      if (this.keys.size > this.pruneKeysAt) {
        const windowStart = this.now() - HISTORY.idempotencyWindowMs;
        for (const [id, record] of this.keys) if (record.ts < windowStart) this.keys.delete(id);
        this.pruneKeysAt = Math.max(RING, 2 * this.keys.size);
      }
      return this.keys;
    }
    this.keys = new Map();
    const rows = this.storage.sql.exec<{ pid: string; phash: string; delivered: number; ts: number }>(
      "SELECT pid, phash, delivered, ts FROM events WHERE pid IS NOT NULL AND ts >= ? ORDER BY seq",
      this.now() - HISTORY.idempotencyWindowMs,
    );
    for (const row of rows) this.keys.set(row.pid, { hash: row.phash, delivered: row.delivered, ts: row.ts });
    return this.keys;
  }
}

function createRing(storage: DurableObjectStorage): void {
  storage.sql.exec(
    `CREATE TABLE IF NOT EXISTS events (slot INTEGER PRIMARY KEY, seq INTEGER NOT NULL, frame TEXT NOT NULL,
      size INTEGER NOT NULL, ts INTEGER NOT NULL, pid TEXT, phash TEXT, delivered INTEGER)`,
  );
}

function newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
