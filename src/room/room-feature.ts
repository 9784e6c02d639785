/**
 * What a room kind adds to the core room (sockets, grants, history, expiry): handlers for client
 * events, and hooks around joins, leaves, publishes and the alarm. Features keep their state in
 * the room's SQLite storage or the socket attachment, never in memory across events.
 */
import type { ClientEvent, ClientEventAcks, ClientEventPayloads, ErrorCode } from "../protocol";
import type { RoomKindName } from "../room-policy";
import type { FeatureArg, FeatureCall, FeatureResult } from "./room-api";
import type { RoomHistory } from "./room-history";
import type { SocketState } from "./socket-state";
import type { WebhookType } from "./webhook-outbox";

/** The room as features see it. */
export interface RoomHost {
  readonly name: string;
  readonly kind: RoomKindName;
  readonly storage: DurableObjectStorage;
  readonly history: RoomHistory;
  /** Sockets of the room, or those with a tag. */
  sockets(tag?: string): WebSocket[];
  /** Sends a frame; a socket that cannot take it is closed with 1011. */
  send(ws: WebSocket, frame: string): boolean;
  /** Delivers an event to the room: next seq, kept in the history, sent to every socket. */
  publish(event: string, data: unknown, options?: { except?: WebSocket }): number;
  /**
   * Sends a state update (typing, presence) to the room's sockets: no seq, not kept, not replayed.
   * `only` narrows it to some sockets.
   */
  sendEphemeral(event: string, data: unknown, options?: { except?: WebSocket; only?: WebSocket[] }): number;
  /** Queues a webhook to the backend (nothing without WEBHOOK_URL); never waits for it. */
  notifyBackend(type: WebhookType, data: Record<string, unknown>): void;
  /** Calls a feature method of another room's object (see `RoomFeature.rpc`). */
  callRoom<M extends FeatureCall>(room: string, method: M, arg: FeatureArg<M>): Promise<FeatureResult<M>>;
  /** Asks for the alarm to run at `at` (ms) or earlier. */
  wakeAt(at: number): Promise<void>;
  /** When the socket last sent a heartbeat (ms), answered by the runtime without waking the room; null if never. */
  lastHeartbeat(ws: WebSocket): number | null;
}

/** A refusal a handler reports to the client as an error frame. */
export class FrameError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type EventHandler<E extends ClientEvent> = (
  room: RoomHost,
  ws: WebSocket,
  state: SocketState,
  data: ClientEventPayloads[E],
) => ClientEventAcks[E] | Promise<ClientEventAcks[E]>;

export interface RoomFeature {
  /** Creates the feature's tables; runs once per schema version. */
  migrate?(storage: DurableObjectStorage, fresh: boolean): void;
  handlers?: { [E in ClientEvent]?: EventHandler<E> };
  /** After the joined frame and any replay were sent. `resumed` when the client recovered. */
  onJoin?(room: RoomHost, ws: WebSocket, state: SocketState, resumed: boolean): void | Promise<void>;
  onLeave?(room: RoomHost, ws: WebSocket, state: SocketState): void | Promise<void>;
  /** Before a backend's event is published; may return the data to publish instead. */
  beforePublish?(room: RoomHost, event: string, data: unknown): unknown;
  /** After an event was published with `seq` as `frame`. */
  afterPublish?(room: RoomHost, event: string, data: unknown, seq: number, frame: string): void;
  /** Methods other objects of the hub may call (`callFeature` in room-api.ts), as `FeatureCalls` declares them. */
  rpc?: { [M in FeatureCall]?: (room: RoomHost, arg: FeatureArg<M>) => FeatureResult<M> | Promise<FeatureResult<M>> };
  /** On the alarm; returns when it wants the next one (ms), or null. */
  onAlarm?(room: RoomHost, now: number): number | null | Promise<number | null>;
  /**
   * After the room's storage was deleted at the end of its idle lifetime, at `at` (ms). A throw is
   * retried: the room wakes again a minute later and, still idle, deletes and calls this again.
   */
  afterDelete?(room: RoomHost, at: number): Promise<void>;
}
