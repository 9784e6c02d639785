/**
 * Where a client stands in one room's event stream, and the gate every seq'd frame passes.
 *
 * The `joined` frame names the room's last `seq` and its `epoch`; every room event carries its
 * own. The cursor keeps the highest seq seen in the room's epoch, so that a rejoin asks the hub
 * for exactly what was missed (`since`, `epoch`), and drops any frame at or below it, so that
 * nothing reaches the app twice even if something were replayed twice.
 *
 * One exception: after a join that did not resume (a first join, or `recovered: false`), a
 * personal room first sends the user's unread notifications with their original, older seqs.
 * Those frames (seq at or below the `joined` seq) are let through once each.
 */

/** A resume request: the last seq seen and its epoch, as sent in `?since=…&epoch=…`. */
export interface ResumeQuery {
  since: number;
  epoch: string;
}

/**
 * What `recovery_failed` listeners learn: the room could not replay what the client missed, so
 * events may have been lost and the app should refetch the room's state (over REST).
 *
 * @example
 * socket.on("recovery_failed", (info: RecoveryFailedInfo, room) => {
 *   console.warn(`${room}: missed events after ${info.since} (${info.reason}), refetching`);
 *   void refetchOrders();
 * });
 */
export interface RecoveryFailedInfo {
  /** The last seq the client had seen, which it asked to resume after. */
  since: number;
  /** The epoch that seq belonged to. */
  epoch: string;
  /** The room's seq now (from `joined`); events from here on are delivered again. */
  seq: number;
  /** The room's epoch now; differs from `epoch` when the room's history was lost. */
  currentEpoch: string;
  /**
   * `epoch_changed`: the room's history was lost (its sequence restarted).
   * `history_gone`: the history no longer reaches back to `since` (too old or too many events).
   */
  reason: "epoch_changed" | "history_gone";
}

export type JoinOutcome =
  /** No resume was asked for. */
  | { kind: "fresh" }
  /** Every missed event follows the `joined` frame. */
  | { kind: "recovered" }
  /** Nothing is replayed: the app must refetch state. */
  | { kind: "lost"; info: RecoveryFailedInfo };

function isSeq(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isEpoch(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

export class RoomCursor {
  private epoch: string | undefined;
  private seq: number | undefined;
  /** After a join that did not resume: older frames the hub may send once each (unread notifications). */
  private backlog: { until: number; seen: Set<number> } | undefined;

  /** The last position seen, or undefined before the first `joined`. */
  get position(): { seq: number; epoch: string } | undefined {
    return this.seq === undefined || this.epoch === undefined ? undefined : { seq: this.seq, epoch: this.epoch };
  }

  /** What a (re)join asks for; undefined for a first join. */
  resumeQuery(): ResumeQuery | undefined {
    const position = this.position;
    return position && { since: position.seq, epoch: position.epoch };
  }

  /** Reads the `joined` frame of an attempt that asked for `asked` (or for nothing). */
  joined(data: unknown, asked: ResumeQuery | undefined): JoinOutcome {
    const record = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
    const { seq, epoch, recovered } = record;
    if (asked && recovered === true && epoch === asked.epoch) {
      // The replay starts right after `since`: the cursor stays where it was.
      this.epoch = asked.epoch;
      this.seq = asked.since;
      this.backlog = undefined;
      return { kind: "recovered" };
    }
    if (isSeq(seq) && isEpoch(epoch)) {
      this.epoch = epoch;
      this.seq = seq;
      this.backlog = { until: seq, seen: new Set() };
    } else {
      // A hub that does not say where the room stands: no resume next time, no dedupe now.
      this.epoch = undefined;
      this.seq = undefined;
      this.backlog = undefined;
    }
    if (!asked) return { kind: "fresh" };
    const currentEpoch = isEpoch(epoch) ? epoch : "";
    return {
      kind: "lost",
      info: {
        since: asked.since,
        epoch: asked.epoch,
        seq: isSeq(seq) ? seq : 0,
        currentEpoch,
        reason: currentEpoch === asked.epoch ? "history_gone" : "epoch_changed",
      },
    };
  }

  /**
   * Whether a room event goes to the app. Events without a seq (ephemeral ones) always do; a
   * seq'd event does when it is new, and moves the cursor.
   */
  accept(seq: unknown, epoch: unknown): boolean {
    if (!isSeq(seq)) return true;
    if (this.seq === undefined || (isEpoch(epoch) && epoch !== this.epoch)) {
      // Not seen since a join that named no position, or a sequence that restarted: start from here.
      if (isEpoch(epoch)) this.epoch = epoch;
      this.seq = seq;
      this.backlog = undefined;
      return true;
    }
    if (seq > this.seq) {
      this.seq = seq;
      return true;
    }
    const backlog = this.backlog;
    if (backlog && seq <= backlog.until && !backlog.seen.has(seq)) {
      backlog.seen.add(seq);
      return true;
    }
    return false;
  }
}
