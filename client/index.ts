/**
 * roomcast's client for browsers and Node 22: `connect()` returns a socket that joins the user's
 * personal room, opens one WebSocket per joined room, reconnects with jittered backoff, refreshes
 * expired tokens, and detects dead connections with heartbeats.
 */

// The wire types the socket's events carry, so that apps need not import the hub's protocol module.
export type {
  AppEventPayloads,
  ChatAuthor,
  ChatHistory,
  ChatMessage,
  ChatTyping,
  ClosingPayload,
  ConversationPage,
  ConversationRemoved,
  ConversationSummary,
  ErrorBody,
  ErrorCode,
  JoinedPayload,
  LiveUser,
  LiveUsersUpdate,
  NewOrder,
  Notification,
  NotificationInput,
  NotificationRead,
  OrderItem,
  OrderItemOption,
  OrderStatusUpdated,
  PublishableEvent,
  PublishablePayloads,
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
  ListenerMap,
  ManagerEvents,
  ReconnectAttemptInfo,
  ReconnectScheduledInfo,
  RoomAck,
  RoomEvent,
  RoomEventListeners,
  RoomEventPayloads,
  RoomLifecycleEvents,
  SocketEvents,
  TimeoutAckCallback,
  TimeoutEmitArgs,
} from "./events.js";
export type { RecoveryFailedInfo } from "./room-cursor.js";
export {
  type ConnectOptions,
  connect,
  io,
  type Manager,
  RoomcastSocket,
  type RoomEmitter,
  type RoomState,
  type TimeoutEmitter,
} from "./socket.js";
export {
  type AuthContext,
  type AuthFunction,
  type AuthOption,
  type AuthRequest,
  readTokenClaims,
  type TokenClaims,
} from "./token.js";
