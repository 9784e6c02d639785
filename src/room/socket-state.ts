/**
 * What a room remembers about one socket. It lives in the socket's attachment so that it survives
 * hibernation; keep it small (the platform caps attachments at 2-16 KiB).
 */
import { LIMITS } from "../protocol";

export interface SocketState {
  /** User id (`sub`). */
  u: string;
  /** Roles from the token. */
  r: string[];
  /** Display name from the token. */
  n?: string;
  /** Token expiry, seconds since the epoch. */
  e: number;
  /** Admitted by a backend grant rather than a role: a revoke closes it. */
  g?: 1;
  /** Connection id, unique within the hub: presence counts connections by it. */
  c: string;
  /** Connected at (ms). */
  t: number;
  /** Bad frames in the current window, and when that window started (ms). */
  b?: number;
  bt?: number;
  /** Rate-limited frames (chat messages) in the current one-second window, and its start (ms). */
  m?: number;
  mt?: number;
  /** Last typing hint passed on (ms). */
  y?: number;
}

export function stateOf(ws: WebSocket): SocketState | null {
  const state = ws.deserializeAttachment() as SocketState | null;
  return state && typeof state.u === "string" ? state : null;
}

export function userTag(userId: string): string {
  return `u:${userId}`;
}

/** Counts a bad frame; returns true when the socket has used up its allowance. */
export function countBadFrame(ws: WebSocket, state: SocketState, now: number): boolean {
  if (!state.bt || now - state.bt > LIMITS.badFrameWindowMs) {
    state.bt = now;
    state.b = 0;
  }
  state.b = (state.b ?? 0) + 1;
  ws.serializeAttachment(state);
  return state.b > LIMITS.maxBadFrames;
}

export function newConnectionId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 16);
}

/**
 * Counts a rate-limited frame in the socket's one-second window; returns false when the socket
 * is over `perSecond` and the frame must be refused.
 */
export function withinRate(ws: WebSocket, state: SocketState, perSecond: number, now: number): boolean {
  if (!state.mt || now - state.mt >= 1000) {
    state.mt = now;
    state.m = 0;
  }
  if ((state.m ?? 0) >= perSecond) return false;
  state.m = (state.m ?? 0) + 1;
  ws.serializeAttachment(state);
  return true;
}
