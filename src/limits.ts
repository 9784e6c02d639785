/**
 * The hub's numeric limits, shared by the protocol's types, its schemas and the client (and
 * re-exported by `src/protocol.ts`). A leaf module: it imports nothing.
 */

export const LIMITS = {
  /** Largest inbound WebSocket frame, in UTF-8 bytes. */
  maxFrameBytes: 16 * 1024,
  /** Largest body of an internal API call, in bytes. */
  maxBodyBytes: 64 * 1024,
  /** Rooms one broadcast may name. */
  maxRoomsPerBroadcast: 100,
  /** Bad frames tolerated per socket within `badFrameWindowMs` before the socket is closed with 1008. */
  maxBadFrames: 10,
  badFrameWindowMs: 60_000,
  /**
   * Inbound frames per socket: a burst of `frameBurst`, then `framesPerSecond` on average
   * (frame-budget.ts). The burst covers a page replaying hundreds of navigations at once; chat
   * messages have their own, tighter limit (CHAT).
   */
  frameBurst: 600,
  framesPerSecond: 50,
} as const;

/** What a room keeps so that clients can resume (see README "Delivery guarantees"). */
export const HISTORY = {
  /**
   * The last events a room keeps, in a ring of this many slots (an event overwrites the one this
   * many before it), so the cap holds after every append whatever the object's life looks like.
   * It is also the most one resume may replay.
   */
  maxEvents: 1_000,
  /** Frame bytes (UTF-8) a room keeps at most, and the most one resume may replay; the oldest events go first. */
  maxBytes: 4 * 1024 * 1024,
  /**
   * Replay one user may ask of one room per minute, in frame bytes (UTF-8): a resume past it is
   * answered `recovered: false` (refetch over REST), so resumes cannot stall a room for others.
   */
  replayBytesPerUserPerMinute: 8 * 1024 * 1024,
  /** A broadcast `id` repeated within this window delivers nothing new. */
  idempotencyWindowMs: 10 * 60 * 1000,
  /** Unread notifications kept per user. */
  maxNotifications: 100,
} as const;

/** Presence (personal rooms report to the admin dashboard). */
export const PRESENCE = {
  maxPathLength: 512,
  /** A connection without a heartbeat for this long is swept. */
  staleAfterMs: 90_000,
  /** Users listed in one live-users-update; totals always cover everyone. */
  maxListedUsers: 200,
  /** At most one live-users-update per this many ms per dashboard. */
  coalesceMs: 250,
} as const;

/** Support chat. */
export const CHAT = {
  maxTextLength: 2000,
  historyPage: 50,
  maxHistoryPage: 100,
  /** Messages per second per user in a room (all their tabs together). */
  maxMessagesPerSecond: 5,
  /** Messages kept per conversation; the oldest go first beyond this. */
  maxMessagesPerConversation: 100_000,
  conversationsPage: 50,
} as const;
