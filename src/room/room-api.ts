/**
 * What the rest of the hub may ask of a room object: the Worker's upgrades, broadcasts and grants,
 * and the feature calls other objects make (presence asking a personal room about its sockets, a
 * support room updating the agents' list). Callers depend on this interface, never on the
 * Durable Object's module.
 */
import type { ConnectionCheck, ConnectionCheckResult, LiveUsersPush } from "../presence/presence-messages";
import type { ConversationUpdate } from "../protocol";

/** What `GET /internal/rooms/{room}` tells a backend about a room. */
export interface RoomSummary {
  room: string;
  /** Sockets connected now. */
  members: number;
  /** The last event's seq and the room's epoch (null for a room that stores nothing yet). */
  seq: number;
  epoch: string | null;
  /** When the last event was published (ISO time), or null. */
  lastEventAt: string | null;
  /** Users a backend granted into the room. */
  grants: number;
}

/** What a broadcast did in one room. */
export type RoomDelivery = { delivered: number; duplicate?: true } | { conflict: true };

/**
 * The methods room features offer other objects of the hub, as Socket.io types its events: the
 * name, the argument and what the call answers. Both the caller (`callFeature`) and the feature
 * (`RoomFeature.rpc`) compile against this map, so a wrong name or payload does not compile.
 */
export interface FeatureCalls {
  /** admin-dashboard: presence's list for every admin; answers how many sockets it reached (0: nobody watches). */
  pushLiveUsers(push: LiveUsersPush): number;
  /** user-{id}: which of these connections are alive; closes the silent ones. */
  checkConnections(check: ConnectionCheck): ConnectionCheckResult;
  /** support-agents: a conversation's new summary; answers the stored `updatedAt`. */
  conversationUpdated(summary: ConversationUpdate): number;
  /**
   * support-agents: the conversation's room was deleted at `at` (ms, its idle lifetime over); the
   * summary goes unless it changed after `at`. Answers whether it went.
   */
  conversationRemoved(removal: { userId: string; at: number }): boolean;
}
export type FeatureCall = keyof FeatureCalls;
export type FeatureArg<M extends FeatureCall> = Parameters<FeatureCalls[M]>[0];
export type FeatureResult<M extends FeatureCall> = ReturnType<FeatureCalls[M]>;

export interface RoomApi extends Rpc.DurableObjectBranded {
  /** A WebSocket upgrade the Worker admitted (see connect-request.ts). */
  fetch(request: Request): Promise<Response>;
  /**
   * Delivers a backend's event to every socket of the room. With an idempotency `id`, a repeat
   * within the window delivers nothing and answers the first count; the same id with another
   * payload (`hash`, its `payloadFingerprint`) is a conflict.
   */
  broadcast(event: string, data: unknown, id?: string, hash?: string): RoomDelivery | Promise<RoomDelivery>;
  grant(userId: string): void;
  /** Removes a grant and closes the sockets it admitted (4003); answers how many were closed. */
  revoke(userId: string): number;
  isGranted(userId: string): boolean;
  /** Counts for backends; a room that stores nothing is not created by asking. */
  summary(): RoomSummary;
  /** Runs a feature's method; use the typed `callFeature` below rather than this. */
  runFeature(method: FeatureCall, arg: unknown): Promise<unknown>;
}

/** Calls a feature method of a room (reached with `stub`, see room-stub.ts), typed by `FeatureCalls`. */
export async function callFeature<M extends FeatureCall>(
  stub: DurableObjectStub<RoomApi>,
  method: M,
  arg: FeatureArg<M>,
): Promise<FeatureResult<M>> {
  // The one place the answer's type is taken on trust: the map above is what both sides compile against.
  return (await stub.runFeature(method, arg)) as FeatureResult<M>;
}
