/**
 * A per-user rate limit inside one room object: at most `perSecond` actions per user in each
 * one-second window, whatever number of sockets the user holds. Budgets that protect what others
 * share (the agents' list, presence) count per user: six tabs of one customer get one budget.
 *
 * In memory: a room that was evicted heard nothing from anyone for a while, so the fresh windows
 * it wakes with give nothing away.
 */
export class UserRate {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly perSecond: number) {}

  /** Counts one action of `userId`; false (counting nothing) when the user is over the limit. */
  take(userId: string, now: number): boolean {
    let window = this.windows.get(userId);
    if (!window || now - window.start >= 1000) {
      if (this.windows.size > 1024) this.forgetBefore(now - 1000);
      window = { start: now, count: 0 };
      this.windows.set(userId, window);
    }
    if (window.count >= this.perSecond) return false;
    window.count++;
    return true;
  }

  private forgetBefore(at: number): void {
    for (const [userId, window] of this.windows) if (window.start < at) this.windows.delete(userId);
  }
}
