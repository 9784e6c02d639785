/**
 * The typed event maps of a socket, derived from `src/protocol.ts`: adding an event to the
 * protocol's maps makes it available to `on`/`emit` here without touching the client.
 */
import type {
  ClientEvent,
  ClientEventAcks,
  ClientEventPayloads,
  ServerEvent,
  ServerEventPayloads,
  ServerToClientEvents,
} from "../src/protocol.js";
import type { RoomcastError } from "./errors.js";
import type { RecoveryFailedInfo } from "./room-cursor.js";

/**
 * Why a room's socket went away.
 *
 * @example
 * socket.on("disconnect", (reason: DisconnectReason, room) => {
 *   if (reason === "access_revoked") showNoLongerShared(room);
 * });
 */
export type DisconnectReason =
  /** `leave-room` or `disconnect()`. */
  | "client"
  /** The network dropped the connection. */
  | "transport"
  /** No answer to a heartbeat in time: the connection was dead (half-open). */
  | "heartbeat_timeout"
  /** The hub closed with 4001; the client refreshes the token and resumes by itself. */
  | "token_expired"
  /** The hub closed with 4003; the room is not rejoined. */
  | "access_revoked"
  /** The hub closed with 1008 after too many bad frames. */
  | "policy_violation"
  /** The hub closed with 1011 (delivery failure). */
  | "server_error"
  /** The hub closed the socket normally (1000/1001), e.g. during a deploy. */
  | "server_closed";

/**
 * What `room:reconnect_attempt` listeners learn besides the attempt number.
 *
 * @example
 * socket.on("room:reconnect_attempt", (attempt, { room, delayMs }: ReconnectAttemptInfo) =>
 *   console.info(`retry #${attempt} of ${room} after ${delayMs} ms`),
 * );
 */
export interface ReconnectAttemptInfo {
  /** The room being rejoined; undefined only for the personal room before any token was had. */
  room: string | undefined;
  /** How long the client waited before this attempt. */
  delayMs: number;
}

/**
 * What `room:reconnect_scheduled` listeners learn: when the next attempt starts.
 *
 * @example
 * socket.on("room:reconnect_scheduled", ({ room, at }: ReconnectScheduledInfo) => showRetryAt(room, at));
 */
export interface ReconnectScheduledInfo {
  room: string | undefined;
  /** The attempt that will start, counting from 1 since the room was last joined. */
  attempt: number;
  delayMs: number;
  /** When it starts (ms since the epoch). */
  at: number;
}

/**
 * The socket as a whole, like Socket.io's: it is connected while its personal room is joined.
 * Each fires exactly once per transition, however many rooms the socket holds.
 *
 * @example
 * socket.on("connect", () => console.info("online as", socket.id));
 * socket.on("disconnect", (reason: DisconnectReason) => console.info("offline:", reason));
 */
export interface SocketEvents {
  /** The personal room joined: first time, and again after every reconnection. */
  connect: () => void;
  /** The personal room's socket went away (or `disconnect()` was called while connected). */
  disconnect: (reason: DisconnectReason) => void;
  /** An attempt to connect (open the personal room) failed; `error.willRetry` says what happens next. */
  connect_error: (error: RoomcastError) => void;
}

/**
 * The lifecycle of each room socket, under its own names; every listener learns the room.
 *
 * @example
 * const onJoin: RoomLifecycleEvents["room:connect"] = (room) => console.info("joined", room);
 * socket.on("room:connect", onJoin);
 */
export interface RoomLifecycleEvents {
  /** A room's socket joined (first time or again). */
  "room:connect": (room: string) => void;
  "room:disconnect": (reason: DisconnectReason, room: string) => void;
  /** An attempt to open a room failed; `error.code` is the hub's code, `error.willRetry` says what happens next. */
  "room:connect_error": (error: RoomcastError) => void;
  /** A retry is scheduled: `at` is when it starts. */
  "room:reconnect_scheduled": (info: ReconnectScheduledInfo) => void;
  /** A new attempt starts, `attempt` counting from 1 since the room was last joined. */
  "room:reconnect_attempt": (attempt: number, info: ReconnectAttemptInfo) => void;
  /** A room joined again after `attempt` attempts. */
  "room:reconnect": (attempt: number, room: string) => void;
  /** `reconnectionAttempts` were used up; the room is dropped. */
  "room:reconnect_failed": (error: RoomcastError) => void;
  /**
   * A room rejoined but the hub could not replay what was missed (`joined` said `recovered: false`):
   * events may be lost, so refetch the room's state. Fired right after that rejoin's `room:connect`.
   */
  recovery_failed: (info: RecoveryFailedInfo, room: string) => void;
}

/**
 * Everything the client itself emits (as opposed to room events from the hub).
 *
 * @example
 * const events: (keyof LifecycleEvents)[] = ["connect", "room:disconnect", "recovery_failed"];
 */
export interface LifecycleEvents extends SocketEvents, RoomLifecycleEvents {}
export type LifecycleEvent = keyof LifecycleEvents;

/**
 * Events of `socket.io`, the Socket.io-style manager: reconnection of the socket as a whole
 * (its personal room).
 *
 * @example
 * socket.io.on("reconnect", (attempt: number) => console.info(`back after ${attempt} attempts`));
 */
export interface ManagerEvents {
  /** A reconnection attempt starts. */
  reconnect_attempt: (attempt: number) => void;
  /** Reconnected after `attempt` attempts. */
  reconnect: (attempt: number) => void;
  /** A reconnection attempt failed. */
  reconnect_error: (error: RoomcastError) => void;
  /** `reconnectionAttempts` were used up: the socket stays disconnected. */
  reconnect_failed: () => void;
}

/**
 * Payloads of every room event a client can listen to: the protocol's `ServerEventPayloads`.
 *
 * @example
 * type Order = RoomEventPayloads["new-order"];
 */
export type RoomEventPayloads = ServerEventPayloads;
/**
 * Names of the room events.
 *
 * @example
 * const watched: RoomEvent[] = ["new-order", "order-status-updated"];
 */
export type RoomEvent = ServerEvent;

/**
 * Room event listeners: `(data, room)`.
 *
 * @example
 * const onUpdate: RoomEventListeners["order-status-updated"] = (data, room) => render(room, data.status);
 */
export type RoomEventListeners = ServerToClientEvents;

/**
 * Everything `on` accepts, by event name.
 *
 * @example
 * function log<E extends ListenEvent>(event: E, listener: ListenEvents[E]) {
 *   socket.on(event, listener);
 * }
 */
export type ListenEvents = RoomEventListeners & LifecycleEvents;
/**
 * Every event name `on` accepts.
 *
 * @example
 * const events: ListenEvent[] = ["connect", "notification"];
 */
export type ListenEvent = keyof ListenEvents;

/**
 * Payloads of every event a client can emit: the protocol's `ClientEventPayloads`.
 *
 * @example
 * const none: EmitPayloads["room:info"] = undefined;
 */
export type EmitPayloads = { [E in ClientEvent]: ClientEventPayloads[E] };
/**
 * What the hub's ack carries, per client event.
 *
 * @example
 * const info: EmitAcks["room:info"] = await socket.emitWithAck("room:info");
 */
export type EmitAcks = { [E in ClientEvent]: ClientEventAcks[E] };
/**
 * Every event a client can emit (besides `join-room` and `leave-room`).
 *
 * @example
 * const event: EmitEvent = "room:info";
 */
export type EmitEvent = keyof EmitPayloads;

/**
 * Called exactly once per emit: `(result)` when the hub acked, `(undefined, error)` when it answered
 * with an error, the ack timed out, or the room's socket dropped.
 *
 * @example
 * const ack: AckCallback<RoomInfo> = (info, error) => (error ? warn(error.code) : show(info?.members));
 * socket.emit("room:info", undefined, ack);
 */
export type AckCallback<R> = (result: R | undefined, error?: RoomcastError) => void;

/**
 * `(true)` once the room is joined (or left), `(false, error)` when the hub refused it.
 *
 * @example
 * const ack: RoomAck = (ok, error) => ok || alert(`cannot open: ${error?.code}`);
 * socket.emit("join-room", "pool-staff", ack);
 */
export type RoomAck = (ok: boolean, error?: RoomcastError) => void;

/**
 * The arguments after the event name; `data` may be left out when the event has none.
 *
 * @example
 * const args: EmitArgs<"room:info"> = [];
 * socket.emit("room:info", ...args);
 */
export type EmitArgs<E extends EmitEvent> = undefined extends EmitPayloads[E]
  ? [data?: EmitPayloads[E], ack?: AckCallback<EmitAcks[E]>]
  : [data: EmitPayloads[E], ack?: AckCallback<EmitAcks[E]>];

/**
 * The arguments of `emitWithAck` after the event name.
 *
 * @example
 * const args: EmitWithAckArgs<"room:info"> = [];
 */
export type EmitWithAckArgs<E extends EmitEvent> = undefined extends EmitPayloads[E]
  ? [data?: EmitPayloads[E]]
  : [data: EmitPayloads[E]];

/**
 * Receives every room event: the catch-all for events without a typed listener.
 *
 * @example
 * const debug: AnyRoomListener = (event, data, room) => console.debug(room, event, data);
 * socket.onAny(debug);
 */
export type AnyRoomListener = (event: string, data: unknown, room: string) => void;

/** Event names the client reserves: a room event named like one of these is never delivered. */
export const LIFECYCLE_EVENTS: ReadonlySet<string> = new Set<LifecycleEvent>([
  "connect",
  "disconnect",
  "connect_error",
  "room:connect",
  "room:disconnect",
  "room:connect_error",
  "room:reconnect_scheduled",
  "room:reconnect_attempt",
  "room:reconnect",
  "room:reconnect_failed",
  "recovery_failed",
]);

/** Frames of the hub's own machinery: listeners may ask for them by name, `onAny` never sees them. */
export const INTERNAL_EVENTS: ReadonlySet<string> = new Set(["joined", "closing"]);

/**
 * Socket.io's ack with a timeout: the error first (`timeout`, or the hub's error), then the result.
 *
 * @example
 * socket.timeout(2_000).emit("room:info", undefined, (error, info) => (error ? retry() : show(info)));
 */
export type TimeoutAckCallback<R> = (error: RoomcastError | null, result?: R) => void;

/**
 * The arguments of `socket.timeout(ms).emit` after the event name.
 *
 * @example
 * const args: TimeoutEmitArgs<"room:info"> = [undefined, (error, info) => console.log(error ?? info)];
 */
export type TimeoutEmitArgs<E extends EmitEvent> = undefined extends EmitPayloads[E]
  ? [data?: EmitPayloads[E], ack?: TimeoutAckCallback<EmitAcks[E]>]
  : [data: EmitPayloads[E], ack?: TimeoutAckCallback<EmitAcks[E]>];

/**
 * Listeners by event name, for `socket.listen`, which returns the function that removes them all.
 *
 * @example
 * const stop = socket.listen({ connect: () => setOnline(true), disconnect: () => setOnline(false) });
 * stop();
 */
export type ListenerMap = { [E in ListenEvent]?: ListenEvents[E] | undefined };
