/**
 * Every socket's budget of inbound frames: a token bucket of LIMITS.frameBurst frames, refilled
 * at LIMITS.framesPerSecond. A frame past the budget is refused with `rate_limited` and counts
 * as a bad frame, so a socket that keeps sending past it is closed with 1008 like one that sends
 * garbage; the answers it gets are bounded either way.
 *
 * Kept in memory rather than in the socket's attachment: writing the attachment on every frame
 * would cost more than most frames, and an object that hibernated heard nothing for a while, so
 * the fresh bucket it starts with after waking gives nothing away.
 */
import { LIMITS } from "../protocol";

interface Bucket {
  tokens: number;
  at: number;
}

export class FrameBudget {
  private readonly buckets = new WeakMap<WebSocket, Bucket>();

  /** Takes one frame from the socket's budget; false when the budget is spent. */
  take(ws: WebSocket, now: number): boolean {
    let bucket = this.buckets.get(ws);
    if (!bucket) {
      bucket = { tokens: LIMITS.frameBurst, at: now };
      this.buckets.set(ws, bucket);
    }
    bucket.tokens = Math.min(LIMITS.frameBurst, bucket.tokens + ((now - bucket.at) * LIMITS.framesPerSecond) / 1000);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
