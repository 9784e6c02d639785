/**
 * Where a client stands in a room's event stream. The `joined` frame names the room's last `seq`
 * and its `epoch`, and delivered events carry theirs; the cursor keeps the latest, so that a
 * rejoin can ask the hub to replay what was missed (`since`, `epoch`). The URL does not carry
 * the cursor yet: room-url.ts is where it will be added.
 */

export interface RoomCursor {
  /** Sequence number of the last event seen. */
  seq?: number;
  /** Incarnation of the room's sequence; a new epoch restarts `seq`. */
  epoch?: string;
}

/** Records a position (from a frame, or from `joined` data); values of the wrong type are ignored. */
export function advanceCursor(cursor: RoomCursor, position: { seq?: unknown; epoch?: unknown }): void {
  const { seq, epoch } = position;
  if (typeof epoch === "string" && epoch.length > 0 && epoch !== cursor.epoch) {
    cursor.epoch = epoch;
    cursor.seq = undefined;
  }
  if (typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0) {
    cursor.seq = cursor.seq === undefined ? seq : Math.max(cursor.seq, seq);
  }
}
