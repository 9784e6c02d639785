/**
 * How much replay each user may ask of this room: a token bucket of frame bytes per user, of
 * HISTORY.replayBytesPerUserPerMinute, refilled over a minute. A resume that would take more is
 * answered `recovered: false` (`replay_limit`), so one user resuming over and over (six tablets
 * of one kitchen account, say) cannot keep the room busy sending history while others wait.
 *
 * In memory, like the frame budget: it protects the room while it is awake and busy, and a room
 * that was evicted had nobody asking it for anything for a while.
 */
import { HISTORY } from "../protocol";

const CAPACITY = HISTORY.replayBytesPerUserPerMinute;
const REFILL_PER_MS = CAPACITY / 60_000;
const PRUNE_AT = 256;

export class ReplayBudget {
  private readonly buckets = new Map<string, { bytes: number; at: number }>();

  /** Takes `bytes` of replay for `userId`; false (taking nothing) when the user has not that much left. */
  take(userId: string, bytes: number, now: number): boolean {
    const bucket = this.buckets.get(userId) ?? { bytes: CAPACITY, at: now };
    bucket.bytes = Math.min(CAPACITY, bucket.bytes + (now - bucket.at) * REFILL_PER_MS);
    bucket.at = now;
    this.buckets.set(userId, bucket);
    if (bytes > bucket.bytes) return false;
    bucket.bytes -= bytes;
    if (this.buckets.size > PRUNE_AT) this.prune(now);
    return true;
  }

  /** Forgets the users whose budget has refilled: a full bucket is what a new one starts with. */
  private prune(now: number): void {
    for (const [userId, bucket] of this.buckets) {
      if (bucket.bytes + (now - bucket.at) * REFILL_PER_MS >= CAPACITY) this.buckets.delete(userId);
    }
  }
}
