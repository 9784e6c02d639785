/**
 * The one error type of the client library, thrown by `emitWithAck` and the publisher and
 * passed to `connect_error` listeners and join acks.
 */
import type { ErrorCode } from "../src/protocol.js";

/**
 * Codes the client itself produces, next to the hub's `ErrorCode`s.
 *
 * @example
 * const offline = (error: RoomcastError) => error.code === ("network_error" satisfies ClientErrorCode);
 */
export type ClientErrorCode =
  /** No ack within the ack timeout, or no socket within the connect timeout. */
  | "timeout"
  /** The room's socket dropped while the request was in flight. */
  | "disconnected"
  /** `to(room)` named a room this socket has not joined. */
  | "not_joined"
  /** The room was left (or the socket disconnected) before the request completed. */
  | "left"
  /** The `auth` function threw or returned something that is not a token. */
  | "auth_failed"
  /** The hub could not be reached, or a socket closed before joining for a reason the hub did not name. */
  | "network_error"
  /** Reconnection attempts are used up (`reconnectionAttempts`). */
  | "reconnect_failed"
  /** A backend revoked this user's access to the room (close code 4003). */
  | "access_revoked"
  /** Too many frames are waiting for the room to (re)join. */
  | "queue_full"
  /** The hub answered with a body the client cannot read. */
  | "invalid_response";

/**
 * Every code a RoomcastError may carry: the hub's and the client's.
 *
 * @example
 * function describe(code: RoomcastErrorCode) {
 *   return code === "forbidden" ? "You may not see this" : "Something went wrong";
 * }
 */
export type RoomcastErrorCode = ErrorCode | ClientErrorCode;

export interface RoomcastErrorDetails {
  /** HTTP status the hub answered with, when the error came from an HTTP answer. */
  status?: number;
  /** The room the error is about. */
  room?: string;
  /** For `connect_error`: whether the client will try that room again by itself. */
  willRetry?: boolean;
  cause?: unknown;
}

/**
 * An error with the hub's (or the client's) machine-readable `code`.
 *
 * @example
 * try {
 *   await socket.emitWithAck("join-room", "restaurant-kitchen");
 * } catch (error) {
 *   if (error instanceof RoomcastError && error.code === "forbidden") showNoAccess();
 * }
 */
export class RoomcastError extends Error {
  override readonly name: string = "RoomcastError";
  /** A known code, or a newer code of the hub that this client does not know yet. */
  readonly code: RoomcastErrorCode | (string & {});
  readonly status: number | undefined;
  readonly room: string | undefined;
  readonly willRetry: boolean;

  constructor(code: RoomcastErrorCode | (string & {}), message: string, details: RoomcastErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.room = details.room;
    this.willRetry = details.willRetry ?? false;
  }

  /** The same error, told whether the client will retry. */
  withRetry(willRetry: boolean): RoomcastError {
    return new RoomcastError(this.code, this.message, {
      status: this.status,
      room: this.room,
      willRetry,
      cause: this.cause,
    });
  }
}
