/**
 * Reconnect delays: exponential growth with "decorrelated jitter" (each delay is drawn between
 * the floor and three times the previous delay, capped). Every delay is random, so clients
 * dropped by the same outage spread out instead of reconnecting in lockstep, and every delay
 * stays within [minDelayMs, maxDelayMs], which makes the bounds testable.
 */

/**
 * Bounds (and randomness) of a `Backoff`.
 *
 * @example
 * const options: BackoffOptions = { minDelayMs: 100, maxDelayMs: 1_000 };
 */
export interface BackoffOptions {
  /** Smallest delay, and the first delay's floor. Default 1000 ms. */
  minDelayMs?: number;
  /** Largest delay. Default 10000 ms. */
  maxDelayMs?: number;
  /** Source of randomness in [0, 1); tests may pass a seeded one. Default `Math.random`. */
  random?: () => number;
}

export const DEFAULT_MIN_DELAY_MS = 1_000;
export const DEFAULT_MAX_DELAY_MS = 10_000;

/**
 * A stateful delay sequence for one reconnecting thing.
 *
 * @example
 * const backoff = new Backoff({ minDelayMs: 1000, maxDelayMs: 10000 });
 * setTimeout(retry, backoff.next()); // 1000-3000 ms, then growing up to 10000 ms
 * backoff.reset(); // after a success
 */
export class Backoff {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  private readonly random: () => number;
  private previous: number;

  constructor(options: BackoffOptions = {}) {
    const min = options.minDelayMs ?? DEFAULT_MIN_DELAY_MS;
    const max = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    if (!(Number.isFinite(min) && min >= 0 && Number.isFinite(max) && max >= min)) {
      throw new RangeError(`backoff bounds must satisfy 0 <= minDelayMs <= maxDelayMs (got ${min}, ${max})`);
    }
    this.minDelayMs = min;
    this.maxDelayMs = max;
    this.random = options.random ?? Math.random;
    this.previous = min;
  }

  /** The next delay in milliseconds, always within [minDelayMs, maxDelayMs]. */
  next(): number {
    // The cap is applied to the range, not to the draw, so delays near the cap stay spread out.
    const upper = Math.min(this.maxDelayMs, Math.max(this.minDelayMs, this.previous * 3));
    const delay = Math.round(this.minDelayMs + this.random() * (upper - this.minDelayMs));
    this.previous = Math.max(delay, this.minDelayMs);
    return delay;
  }

  /** Starts the sequence over, after a success. */
  reset(): void {
    this.previous = this.minDelayMs;
  }
}
