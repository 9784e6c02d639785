/**
 * What a room remembers about one socket. It lives in the socket's attachment so that it survives
 * hibernation. The attachment is kept small (the platform caps it at 16 KiB and reads it on every
 * frame), so each field travels under a one-letter key: `ATTACHMENT_KEYS` is the one place that
 * names them, and `readState`/`writeState` the only code that sees them.
 */
import { LIMITS } from "../protocol";

export interface SocketState {
  /** User id (`sub`). */
  userId: string;
  /** Roles from the token. */
  roles: string[];
  /** Display name from the token. */
  name?: string;
  /** Token expiry, seconds since the epoch. */
  exp: number;
  /** Admitted by a backend grant rather than a role: a revoke closes it. */
  viaGrant?: boolean;
  /** Connection id, unique within the hub: presence counts connections by it. */
  connectionId: string;
  /** Connected at (ms). */
  connectedAt: number;
  /** Bad frames in the current window, and when that window started (ms). */
  badFrames?: number;
  badFramesSince?: number;
  /** Last typing hint passed on (ms). */
  lastTypingAt?: number;
  /** Presence: the page this connection shows, when it last navigated, and its last presence frame (ms). */
  path?: string;
  movedAt?: number;
  presenceActiveAt?: number;
}

/** The attachment's key of every field. */
const ATTACHMENT_KEYS = {
  userId: "u",
  roles: "r",
  name: "n",
  exp: "e",
  viaGrant: "g",
  connectionId: "c",
  connectedAt: "t",
  badFrames: "b",
  badFramesSince: "bt",
  lastTypingAt: "y",
  path: "pp",
  movedAt: "pm",
  presenceActiveAt: "pa",
} as const satisfies { [K in keyof SocketState]-?: string };

type Field = keyof typeof ATTACHMENT_KEYS;
const FIELDS = Object.keys(ATTACHMENT_KEYS) as Field[];

/** The socket's state, or null when it has none (a socket the room did not accept). */
export function readState(ws: WebSocket): SocketState | null {
  const stored = ws.deserializeAttachment() as Record<string, unknown> | null;
  if (!stored || typeof stored.u !== "string") return null;
  const state: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = stored[ATTACHMENT_KEYS[field]];
    if (value !== undefined) state[field] = field === "viaGrant" ? value === 1 : value;
  }
  return state as unknown as SocketState;
}

export function writeState(ws: WebSocket, state: SocketState): void {
  const stored: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = state[field];
    if (value === undefined || value === false) continue;
    stored[ATTACHMENT_KEYS[field]] = value === true ? 1 : value;
  }
  ws.serializeAttachment(stored);
}

export function userTag(userId: string): string {
  return `u:${userId}`;
}

/** Counts a bad frame; returns true when the socket has used up its allowance. */
export function countBadFrame(ws: WebSocket, state: SocketState, now: number): boolean {
  if (!state.badFramesSince || now - state.badFramesSince > LIMITS.badFrameWindowMs) {
    state.badFramesSince = now;
    state.badFrames = 0;
  }
  state.badFrames = (state.badFrames ?? 0) + 1;
  writeState(ws, state);
  return state.badFrames > LIMITS.maxBadFrames;
}

export function newConnectionId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 16);
}
