/**
 * The wire contract of the hub, shared by the Worker, the room objects and `client/`.
 *
 * Every frame is JSON text.
 * - Server to client: `{ "event", "room", "data", "seq"?, "epoch"? }`, or an ack/error answering a client frame.
 * - Client to server: `{ "event", "data"?, "ack"? }`.
 * Inbound frames and bodies are validated against the schemas here; nothing is trusted by cast.
 */
import * as v from "valibot";
import type { APP_EVENTS } from "./app-events.js";
import type { BUILT_IN_EVENTS, ClientEvent, NotificationInput, NotificationRead } from "./payload-schemas.js";

export { EPOCH_PATTERN, GENERATED_NOTIFICATION_ID_PREFIX, ID_PATTERN, ID_RULE } from "./ids.js";
export { CHAT, HISTORY, LIMITS, PRESENCE } from "./limits.js";
export type { LocationHint } from "./location-hints.js";
export type {
  ClientEvent,
  ClientFrame,
  NewOrder,
  NotificationInput,
  NotificationRead,
  OrderItem,
  OrderItemOption,
  OrderStatusUpdated,
} from "./payload-schemas.js";

/** Close codes the hub uses; the 4xxx ones are the hub's own. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** The client kept sending bad frames. */
  policyViolation: 1008,
  /** The hub failed to deliver to this socket; reconnect. */
  internalError: 1011,
  /** The token expired: refresh it and reconnect. */
  tokenExpired: 4001,
  /** Access to the room was revoked: do not reconnect. */
  accessRevoked: 4003,
} as const;

/** The exact heartbeat frame; the hub answers it without waking the room object. */
export const HEARTBEAT_FRAME = '{"event":"heartbeat"}';
export const HEARTBEAT_ACK_FRAME = '{"event":"heartbeat-ack"}';

/** Error codes carried by HTTP error bodies and `error` frames. */
export const ErrorCode = {
  badRequest: "bad_request",
  invalidRoom: "invalid_room",
  unauthorized: "unauthorized",
  tokenExpired: "token_expired",
  forbidden: "forbidden",
  originRefused: "origin_refused",
  upgradeRequired: "upgrade_required",
  notFound: "not_found",
  payloadTooLarge: "payload_too_large",
  misconfigured: "misconfigured",
  internal: "internal_error",
  invalidFrame: "invalid_frame",
  unknownEvent: "unknown_event",
  invalidPayload: "invalid_payload",
  frameTooLarge: "frame_too_large",
  binaryNotSupported: "binary_not_supported",
  notGrantable: "room_not_grantable",
  methodNotAllowed: "method_not_allowed",
  rateLimited: "rate_limited",
  idempotencyConflict: "idempotency_conflict",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Payloads of the events backends publish through POST /internal/broadcast. Their schemas are in
// `src/payload-schemas.ts` (hub-side, so that browser bundles of the client never carry them).

/** A notification as clients receive it: it always has its `id` (what `notification:read` takes). */
export type Notification = NotificationInput & { id: string };

/** The hub's built-in publishable events (schemas in `src/payload-schemas.ts`); any room kind may receive them. */
export type BuiltInEvent = keyof typeof BUILT_IN_EVENTS;

type AppEvents = typeof APP_EVENTS;
/** The app's own events (`src/app-events.ts`) and their payloads. */
export type AppEventPayloads = { [K in keyof AppEvents]: v.InferOutput<AppEvents[K]["schema"]> };
export type AppEvent = keyof AppEventPayloads;

/** Every event a backend may publish: built in, or declared in `src/app-events.ts`. */
export type PublishableEvent = BuiltInEvent | AppEvent;
export type PublishablePayloads = {
  [K in BuiltInEvent]: v.InferOutput<(typeof BUILT_IN_EVENTS)[K]["schema"]>;
} & AppEventPayloads;

/** Answer of POST /internal/broadcast: sockets sent to, per room. */
export interface BroadcastResult {
  delivered: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------
// Events a client sends on a room socket, their payloads and what their ack carries.

export interface RoomInfo {
  room: string;
  /** Sockets connected to the room, this one included. */
  members: number;
  you: { userId: string; name?: string; roles: string[] };
}

export interface ClientEventPayloads {
  "room:info": undefined;
  /** In a personal room: marks notifications read, so they are not delivered again. */
  "notification:read": NotificationRead;
  /** In a personal room: the page this connection shows now. */
  "page:navigate": { path: string };
  /** In a personal room: the display name shown in presence. Only `name` may change. */
  "user:update": { name?: string };
  /** In a support room: sends a message; a retried `clientMessageId` is stored once. */
  "chat:message": { text: string; clientMessageId: string };
  /** In a support room: older messages, before a seq. */
  "chat:history": { before?: number; limit?: number };
  /** In a support room: tells the others you are typing (not stored). */
  "chat:typing": { typing: boolean };
  /** In a support room: how far you have read. */
  "chat:read": { seq: number };
  /** In support-agents: a page of conversations, most recent first. */
  "support:conversations": { before?: number; limit?: number };
}
export interface ClientEventAcks {
  "room:info": RoomInfo;
  "notification:read": { read: number };
  "page:navigate": { path: string };
  "user:update": { name: string };
  "chat:message": ChatMessage;
  "chat:history": ChatHistory;
  "chat:typing": { typing: boolean };
  "chat:read": { seq: number };
  "support:conversations": ConversationPage;
}

/** Socket.io-style map of what a client may emit: `emit(event, data, ack)`. */
export type ClientToServerEvents = {
  [K in ClientEvent]: (data: ClientEventPayloads[K], ack?: (result: ClientEventAcks[K]) => void) => void;
};

// ---------------------------------------------------------------------------------------------
// Events the hub delivers to clients.

export interface JoinedPayload {
  room: string;
  userId: string;
  /** The room's last seq and its epoch: pass them back as `since` and `epoch` to resume. */
  seq: number;
  epoch: string;
  /**
   * Present when the client asked to resume: `true` when every missed event follows this frame,
   * `false` when they cannot be replayed (see `notRecovered`): refetch state.
   */
  recovered?: boolean;
  /**
   * Why `recovered` is false: `epoch` (the room's history was lost or deleted: another epoch),
   * `history` (the history no longer reaches back to `since`), `replay_limit` (this user asked
   * for more replay than HISTORY.replayBytesPerUserPerMinute).
   */
  notRecovered?: "epoch" | "history" | "replay_limit";
}

/**
 * Sent right before the hub closes a socket (4001, 4003, 1008, 1011). Clients should close their
 * side at once and act on `code`: the runtime keeps the TCP connection open after a server-initiated
 * close, so the close event itself may only arrive after the client's own timeout.
 */
export interface ClosingPayload {
  code: number;
  reason: string;
}

/** One user in presence, over all their connections. */
export interface LiveUser {
  userId: string;
  name?: string;
  roles: string[];
  /** Path of the connection that moved last. */
  path: string | null;
  connections: number;
  /** Earliest connection, ms since the epoch. */
  connectedAt: number;
  /** Latest sign of life of any connection, ms since the epoch. */
  lastSeenAt: number;
}

/** Presence for the admin dashboard: the most recently active users, and totals over everyone. */
export interface LiveUsersUpdate {
  users: LiveUser[];
  /** Users online, listed or not. */
  total: number;
  connections: number;
  /** Users online per role ("customer" for users without roles). */
  byRole: Record<string, number>;
  /** True when more users are online than `users` lists. */
  truncated: boolean;
}

export interface ChatAuthor {
  id: string;
  name?: string;
  /** `customer` for the conversation's owner, else `support` or `admin`. */
  role: "customer" | "support" | "admin";
}

export interface ChatMessage {
  id: string;
  /** Position in the room's sequence (the same numbering as every event of the room). */
  seq: number;
  room: string;
  text: string;
  clientMessageId: string;
  author: ChatAuthor;
  /** ISO time the hub stored it. */
  createdAt: string;
}

export interface ChatHistory {
  /** Oldest first. */
  messages: ChatMessage[];
  hasMore: boolean;
}

export interface ChatTyping {
  userId: string;
  name?: string;
  typing: boolean;
}

export interface ConversationSummary {
  userId: string;
  customerName?: string;
  lastMessage: ChatMessage;
  /** Customer messages after the furthest an agent has read. */
  unreadForAgents: number;
  /** ISO time of the last change (the last message, or an agent's read). */
  updatedAt: string;
  /** Position in the agents' list, newest highest and unique: pass it as `before` to page on. */
  cursor: number;
}

/** What a support room reports to `support-agents`; the agents' room adds the `cursor`. */
export type ConversationUpdate = Omit<ConversationSummary, "cursor">;

/** In support-agents: a conversation's room was deleted after its idle lifetime; drop it from the list. */
export interface ConversationRemoved {
  userId: string;
}

export interface ConversationPage {
  /** Most recent first. */
  conversations: ConversationSummary[];
  /** The last conversation's `cursor`: pass it as `before` for the next page; absent on the last page. */
  nextBefore?: number;
}

/** Payload of every server event; handlers receive `(data, room)`. */
export interface ServerEventPayloads extends Omit<PublishablePayloads, "notification"> {
  /** Delivered with its `id` always set (what `notification:read` takes). */
  notification: Notification;
  /** First frame on every room socket. */
  joined: JoinedPayload;
  /** An error not tied to an ack (see `ErrorCode`). */
  error: ErrorBody;
  closing: ClosingPayload;
  "live-users-update": LiveUsersUpdate;
  "chat:message": ChatMessage;
  "chat:history": ChatHistory;
  "chat:typing": ChatTyping;
  "support:conversation-updated": ConversationSummary;
  "support:conversation-removed": ConversationRemoved;
  "support:conversations": ConversationPage;
}
export type ServerEvent = keyof ServerEventPayloads;

/** Socket.io-style map of what a client may listen to: `on(event, (data, room) => ...)`. */
export type ServerToClientEvents = {
  [K in ServerEvent]: (data: ServerEventPayloads[K], room: string) => void;
};

/** A room event as it travels to clients; delivered events carry the room's `seq` and `epoch`. */
export interface ServerFrame<E extends ServerEvent = ServerEvent> {
  event: E;
  room: string;
  data: ServerEventPayloads[E];
  seq?: number;
  epoch?: string;
  /**
   * The backend's publish id, on events a backend published. One publish naming several rooms
   * reaches a client in several of them once per room; the client delivers it once.
   */
  publishId?: string;
}
export interface AckFrame {
  event: "ack";
  ack: number;
  data: unknown;
}
export interface ErrorFrame {
  event: "error";
  ack?: number;
  data: ErrorBody;
}
/**
 * Several room events in one WebSocket message; `data` holds the events' own frames, each with
 * its `seq`, in order. A room coalesces (see COALESCE) events that arrive within the same
 * millisecond as the one before (a burst), and events that arrive while its last fan-out is
 * still going out to its sockets (a saturated room); at lower rates every event travels alone.
 */
export interface BatchFrame {
  event: "batch";
  room: string;
  data: ServerFrame[];
}
export type AnyServerFrame = ServerFrame | BatchFrame | AckFrame | ErrorFrame | { event: "heartbeat-ack" };

/**
 * When a room holds events back to send them as one batch frame per socket (room-object.ts).
 * - A burst (an event within the same millisecond as the one before) is held `burstMs`.
 * - A saturated room. After a fan-out the runtime still has to write every socket's frame,
 *   which it does after the room's code returns (about 30-50 us a socket on local workerd). The
 *   room times that (a zero-delay timer fires once the queued writes are through) and, when a
 *   fan-out takes longer than `saturation` x the recent time between its events (an average over
 *   the last few), it cannot keep up: an event arriving during a fan-out waits for its end (at
 *   most `maxHoldMs`) and goes out with whatever else arrived, one send per socket instead of one
 *   per event. A room that keeps up holds nothing, whatever its size, on any runtime. Only fan-outs
 *   to more than `timedFanOutSockets` sockets are timed (the timer costs a publish more than a
 *   small room's fan-out does, and a few frames never fall behind).
 */
export const COALESCE = { burstMs: 1, maxHoldMs: 250, saturation: 0.9, timedFanOutSockets: 50 } as const;

/** First-pass schema of frames a client reads, so the client never casts raw JSON either. */
export const serverFrameSchema = v.object({
  event: v.pipe(v.string(), v.minLength(1)),
  room: v.optional(v.string()),
  ack: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  data: v.optional(v.unknown()),
  seq: v.optional(v.unknown()),
  epoch: v.optional(v.unknown()),
  publishId: v.optional(v.string()),
});

/** A schema issue as valibot (or zod, still used by a few hub-only modules) reports it. */
export interface SchemaIssue {
  message: string;
  path?: readonly (PropertyKey | { key: unknown })[] | undefined;
}

/**
 * Formats the first schema issue as "field: what is wrong" (`data.items.0.quantity: Too small:
 * expected >=1 but received 0`) for error messages.
 */
export function describeIssue(issues: readonly SchemaIssue[] | { issues: readonly SchemaIssue[] }): string {
  const issue = ("issues" in issues ? issues.issues : issues)[0];
  if (!issue) return "invalid value";
  const path = (issue.path ?? []).map((step) => String(typeof step === "object" && step !== null ? step.key : step));
  return `${path.length > 0 ? path.join(".") : "(root)"}: ${issue.message}`;
}
