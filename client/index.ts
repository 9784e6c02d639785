/**
 * roomcast's client for browsers and Node 22: `connect()` returns a socket that joins the user's
 * personal room, opens one WebSocket per joined room, reconnects with jittered backoff, refreshes
 * expired tokens, and detects dead connections with heartbeats.
 */

// The wire types the socket's events carry, so that apps need not import the hub's protocol module.
export type {
  ChatAuthor,
  ChatHistory,
  ChatMessage,
  ChatTyping,
  ClosingPayload,
  ConversationPage,
  ConversationSummary,
  ErrorBody,
  ErrorCode,
  JoinedPayload,
  LiveUser,
  LiveUsersUpdate,
  NewOrder,
  Notification,
  NotificationRead,
  OrderStatusUpdated,
  RoomInfo,
} from "../src/protocol.js";
export { Backoff, type BackoffOptions } from "./backoff.js";
export { type ClientErrorCode, RoomcastError, type RoomcastErrorCode } from "./errors.js";
export type {
  AckCallback,
  AnyRoomListener,
  DisconnectReason,
  EmitAcks,
  EmitArgs,
  EmitEvent,
  EmitPayloads,
  EmitWithAckArgs,
  LifecycleEvents,
  ListenEvent,
  ListenEvents,
  ReconnectAttemptInfo,
  RoomAck,
  RoomEvent,
  RoomEventListeners,
  RoomEventPayloads,
} from "./events.js";
export type { RecoveryFailedInfo } from "./room-cursor.js";
export { type ConnectOptions, connect, RoomcastSocket, type RoomEmitter, type RoomState } from "./socket.js";
export { type AuthContext, type AuthFunction, type AuthOption, readTokenClaims, type TokenClaims } from "./token.js";
