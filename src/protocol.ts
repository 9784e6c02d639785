/**
 * The wire contract of the hub, shared by the Worker, the room objects and `client/`.
 *
 * Every frame is JSON text.
 * - Server to client: `{ "event", "room", "data", "seq"?, "epoch"? }`, or an ack/error answering a client frame.
 * - Client to server: `{ "event", "data"?, "ack"? }`.
 * Inbound frames and bodies are validated against the schemas here; nothing is trusted by cast.
 */
import { z } from "zod";

/** Ids inside room names and user ids: 1-64 characters of `[A-Za-z0-9_-]`. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

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
} as const;

/** What a room keeps so that clients can resume (see README "Delivery guarantees"). */
export const HISTORY = {
  /** The last events kept whatever their age. */
  minEvents: 200,
  /** Events younger than this are kept (up to the caps below). */
  minAgeMs: 24 * 60 * 60 * 1000,
  /** Hard caps: never more events or frame bytes than these per room. */
  maxEvents: 5_000,
  maxBytes: 16 * 1024 * 1024,
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

export const notificationSchema = z.strictObject({
  id: z.string().min(1).max(128).optional(),
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

export const broadcastBodySchema = z.strictObject({
  /** Idempotency key: a repeat within 10 minutes delivers nothing new and gets the first answer. */
  id: z.string().min(1).max(128).optional(),
  rooms: z.array(z.string().max(200)).min(1).max(LIMITS.maxRoomsPerBroadcast),
  event: z.string().max(100),
  data: z.unknown(),
});

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

/** Schemas of `data` for every client event; an event not listed here is `unknown_event`. */
export const clientEventSchemas = {
  "room:info": z.undefined(),
  "notification:read": notificationReadSchema,
} as const;
export type ClientEvent = keyof typeof clientEventSchemas;

export interface ClientEventPayloads {
  "room:info": undefined;
  /** In a personal room: marks notifications read, so they are not delivered again. */
  "notification:read": NotificationRead;
}
export interface ClientEventAcks {
  "room:info": RoomInfo;
  "notification:read": { read: number };
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
   * `false` when the history no longer covers `since` (or the epoch changed): refetch state.
   */
  recovered?: boolean;
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

/** Payload of every server event; handlers receive `(data, room)`. */
export interface ServerEventPayloads extends PublishablePayloads {
  /** First frame on every room socket. */
  joined: JoinedPayload;
  /** An error not tied to an ack (see `ErrorCode`). */
  error: ErrorBody;
  closing: ClosingPayload;
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
export type AnyServerFrame = ServerFrame | AckFrame | ErrorFrame | { event: "heartbeat-ack" };

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
