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
} from "../src/protocol";
import type { RoomcastError } from "./errors";
import type { PendingClientEventAcks, PendingClientEventPayloads, PendingServerEventPayloads } from "./pending-events";

/** Why a room's socket went away. */
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

export interface ReconnectAttemptInfo {
  /** The room being rejoined; undefined only for the personal room before any token was had. */
  room: string | undefined;
  /** How long the client waited before this attempt. */
  delayMs: number;
}

/** Connection lifecycle, per room: every listener learns which room it is about. */
export interface LifecycleEvents {
  /** A room's socket joined (first time or again). */
  connect: (room: string) => void;
  disconnect: (reason: DisconnectReason, room: string) => void;
  /** An attempt to open a room failed; `error.code` is the hub's code, `error.willRetry` says what happens next. */
  connect_error: (error: RoomcastError) => void;
  /** A new attempt starts, `attempt` counting from 1 since the room was last joined. */
  reconnect_attempt: (attempt: number, info: ReconnectAttemptInfo) => void;
  /** A room joined again after `attempt` attempts. */
  reconnect: (attempt: number, room: string) => void;
  /** `reconnectionAttempts` were used up; the room is dropped. */
  reconnect_failed: (error: RoomcastError) => void;
}
export type LifecycleEvent = keyof LifecycleEvents;

/** Payloads of every room event a client can listen to. The protocol's definitions win. */
export type RoomEventPayloads = ServerEventPayloads & Omit<PendingServerEventPayloads, ServerEvent>;
export type RoomEvent = keyof RoomEventPayloads;

/** Room event listeners: `(data, room)`. */
export type RoomEventListeners = ServerToClientEvents & {
  [E in Exclude<keyof PendingServerEventPayloads, ServerEvent>]: (
    data: PendingServerEventPayloads[E],
    room: string,
  ) => void;
};

/** Everything `on` accepts. */
export type ListenEvents = RoomEventListeners & LifecycleEvents;
export type ListenEvent = keyof ListenEvents;

/** Payloads and ack results of every event a client can emit. The protocol's definitions win. */
export type EmitPayloads = { [E in ClientEvent]: ClientEventPayloads[E] } & Omit<
  PendingClientEventPayloads,
  ClientEvent
>;
export type EmitAcks = { [E in ClientEvent]: ClientEventAcks[E] } & Omit<PendingClientEventAcks, ClientEvent>;
export type EmitEvent = keyof EmitPayloads;

/**
 * Called exactly once per emit: `(result)` when the hub acked, `(undefined, error)` when it answered
 * with an error, the ack timed out, or the room's socket dropped.
 */
export type AckCallback<R> = (result: R | undefined, error?: RoomcastError) => void;

/** `(true)` once the room is joined (or left), `(false, error)` when the hub refused it. */
export type RoomAck = (ok: boolean, error?: RoomcastError) => void;

/** The arguments after the event name; `data` may be left out when the event has none. */
export type EmitArgs<E extends EmitEvent> = undefined extends EmitPayloads[E]
  ? [data?: EmitPayloads[E], ack?: AckCallback<EmitAcks[E]>]
  : [data: EmitPayloads[E], ack?: AckCallback<EmitAcks[E]>];

export type EmitWithAckArgs<E extends EmitEvent> = undefined extends EmitPayloads[E]
  ? [data?: EmitPayloads[E]]
  : [data: EmitPayloads[E]];

/** Receives every room event: the catch-all for events without a typed listener. */
export type AnyRoomListener = (event: string, data: unknown, room: string) => void;

/** Event names the client reserves: the hub never names a room event like these. */
export const LIFECYCLE_EVENTS: ReadonlySet<string> = new Set<LifecycleEvent>([
  "connect",
  "disconnect",
  "connect_error",
  "reconnect_attempt",
  "reconnect",
  "reconnect_failed",
]);
