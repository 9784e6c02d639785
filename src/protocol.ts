/**
 * The wire contract of the hub, shared by the Worker, the room objects and `client/`.
 *
 * Every frame is JSON text.
 * - Server to client: `{ "event", "room", "data", "seq"?, "epoch"? }`, or an ack/error answering a client frame.
 * - Client to server: `{ "event", "data"?, "ack"? }`.
 * Inbound frames and bodies are validated against the schemas here; nothing is trusted by cast.
 */
import { z } from "zod";
import { ID_PATTERN } from "./id-pattern.mjs";

/** Ids inside room names and user ids: 1-64 characters of `[A-Za-z0-9_-]` (one definition, shared with Node scripts). */
export { ID_PATTERN, ID_RULE } from "./id-pattern.mjs";

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

/** Epochs are short random hex strings. */
export const EPOCH_PATTERN = /^[0-9a-f]{1,32}$/;

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
// Payloads of the events backends publish through POST /internal/broadcast.

const id = z.string().regex(ID_PATTERN, "must be 1-64 characters of A-Z, a-z, 0-9, _ or -");
const isoTime = z.iso.datetime({ offset: true });
const orderId = z.union([id, z.number().int().nonnegative()]);

export const orderStatusUpdatedSchema = z.strictObject({
  orderId,
  status: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "must be a lower-case status name such as 'preparing'"),
  updatedAt: isoTime.optional(),
});
export type OrderStatusUpdated = z.infer<typeof orderStatusUpdatedSchema>;

export const orderItemSchema = z.strictObject({
  name: z.string().min(1).max(200),
  quantity: z.number().int().min(1).max(1000),
  notes: z.string().max(500).optional(),
});

export const newOrderSchema = z.strictObject({
  orderId,
  customerName: z.string().min(1).max(100),
  items: z.array(orderItemSchema).min(1).max(200),
  createdAt: isoTime,
});
export type NewOrder = z.infer<typeof newOrderSchema>;

/** Ids the hub gives notifications sent without one; backend ids may not start with it. */
export const GENERATED_NOTIFICATION_ID_PREFIX = "hub:";

export const notificationSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(128)
    .refine((id) => !id.startsWith(GENERATED_NOTIFICATION_ID_PREFIX), {
      message: `must not start with "${GENERATED_NOTIFICATION_ID_PREFIX}": the hub gives those to notifications sent without an id`,
    })
    .optional(),
  title: z.string().min(1).max(200),
  body: z.string().max(2000),
  type: z.string().min(1).max(64).optional(),
  link: z.string().min(1).max(2048).optional(),
  createdAt: isoTime.optional(),
});
export type Notification = z.infer<typeof notificationSchema>;

/** The events a backend may publish, with their payload schemas. */
export const publishableEventSchemas = {
  "order-status-updated": orderStatusUpdatedSchema,
  "new-order": newOrderSchema,
  notification: notificationSchema,
} as const;
export type PublishableEvent = keyof typeof publishableEventSchemas;
export type PublishablePayloads = { [K in PublishableEvent]: z.infer<(typeof publishableEventSchemas)[K]> };

/** The regions Durable Objects accept as a location hint. */
export const LOCATION_HINTS = [
  "wnam",
  "enam",
  "sam",
  "weur",
  "eeur",
  "apac",
  "apac-ne",
  "apac-se",
  "oc",
  "afr",
  "me",
] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];

export const broadcastBodySchema = z.strictObject({
  /** Idempotency key: a repeat within 10 minutes delivers nothing new and gets the first answer. */
  id: z.string().min(1).max(128).optional(),
  rooms: z.array(z.string().max(200)).min(1).max(LIMITS.maxRoomsPerBroadcast),
  event: z.string().max(100),
  data: z.unknown(),
  /** Where to create a room's object if it does not exist yet (README "Placing rooms"). */
  locationHint: z.enum(LOCATION_HINTS).optional(),
});

/** Optional body of PUT /internal/rooms/{room}/members/{userId}. */
export const grantBodySchema = z.strictObject({ locationHint: z.enum(LOCATION_HINTS).optional() });

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

export const notificationReadSchema = z.strictObject({
  ids: z.array(z.string().min(1).max(128)).min(1).max(HISTORY.maxNotifications),
});
export type NotificationRead = z.infer<typeof notificationReadSchema>;

// Presence (personal rooms report to the admin dashboard).
export const PRESENCE = {
  maxPathLength: 512,
  /** A connection without a heartbeat for this long is swept. */
  staleAfterMs: 90_000,
  /** Users listed in one live-users-update; totals always cover everyone. */
  maxListedUsers: 200,
  /** At most one live-users-update per this many ms per dashboard. */
  coalesceMs: 250,
} as const;

export const pageNavigateSchema = z.strictObject({
  path: z.string().min(1).max(PRESENCE.maxPathLength),
});
/** `userId` and `roles` are accepted by the schema only so that the hub can refuse them as `forbidden`. */
export const userUpdateSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  userId: z.unknown().optional(),
  roles: z.unknown().optional(),
});

// Support chat.
export const CHAT = {
  maxTextLength: 2000,
  historyPage: 50,
  maxHistoryPage: 100,
  /** Messages per second per socket. */
  maxMessagesPerSecond: 5,
  /** Messages kept per conversation; the oldest go first beyond this. */
  maxMessagesPerConversation: 100_000,
  conversationsPage: 50,
} as const;

export const chatMessageSchema = z.strictObject({
  text: z.string().trim().min(1).max(CHAT.maxTextLength),
  clientMessageId: z.string().min(1).max(64),
});
export const chatHistoryRequestSchema = z.strictObject({
  before: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(CHAT.maxHistoryPage).optional(),
});
export const chatTypingSchema = z.strictObject({ typing: z.boolean() });
export const chatReadSchema = z.strictObject({ seq: z.number().int().nonnegative() });
export const conversationsRequestSchema = z.strictObject({
  /** `updatedAt` cursor from the previous page. */
  before: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(CHAT.maxHistoryPage).optional(),
});

/** Schemas of `data` for every client event; an event not listed here is `unknown_event`. */
export const clientEventSchemas = {
  "room:info": z.undefined(),
  "notification:read": notificationReadSchema,
  "page:navigate": pageNavigateSchema,
  "user:update": userUpdateSchema,
  "chat:message": chatMessageSchema,
  "chat:history": chatHistoryRequestSchema,
  "chat:typing": chatTypingSchema,
  "chat:read": chatReadSchema,
  "support:conversations": conversationsRequestSchema,
} as const;
export type ClientEvent = keyof typeof clientEventSchemas;

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

export const clientFrameSchema = z.object({
  event: z.string().min(1).max(100),
  data: z.unknown().optional(),
  ack: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
});
export type ClientFrame = z.infer<typeof clientFrameSchema>;

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
  /** ms since the epoch. */
  createdAt: number;
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
  updatedAt: number;
}

export interface ConversationPage {
  /** Most recent first. */
  conversations: ConversationSummary[];
  /** Pass as `before` for the next page; absent on the last page. */
  nextBefore?: number;
}

/** Payload of every server event; handlers receive `(data, room)`. */
export interface ServerEventPayloads extends PublishablePayloads {
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
 *   per event. A room that keeps up holds nothing, whatever its size, on any runtime.
 */
export const COALESCE = { burstMs: 1, maxHoldMs: 250, saturation: 0.9 } as const;

/** First-pass schema of frames a client reads, so the client never casts raw JSON either. */
export const serverFrameSchema = z.object({
  event: z.string().min(1),
  room: z.string().optional(),
  ack: z.number().int().nonnegative().optional(),
  data: z.unknown().optional(),
  seq: z.number().int().nonnegative().optional(),
  epoch: z.string().optional(),
});

/** Query parameters of a resuming upgrade: `/ws/{room}?token=…&since=41&epoch=9f2c…`. */
export const resumeQuerySchema = z.object({
  since: z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  epoch: z.string().regex(EPOCH_PATTERN),
});

/** Formats a zod error as "field: what is wrong" for error messages. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid value";
  const path = issue.path.length > 0 ? issue.path.join(".") : "(root)";
  return `${path}: ${issue.message}`;
}
