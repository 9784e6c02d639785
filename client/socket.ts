/**
 * The socket an app holds: one WebSocket per joined room underneath, one listener registry
 * on top, so handlers see events from every room with the room's name.
 */
import { DEFAULT_MAX_DELAY_MS, DEFAULT_MIN_DELAY_MS } from "./backoff.js";
import { type AnyFunction, invokeSafely, ListenerRegistry } from "./emitter.js";
import { RoomcastError } from "./errors.js";
import {
  type AckCallback,
  type AnyRoomListener,
  type EmitAcks,
  type EmitArgs,
  type EmitEvent,
  type EmitWithAckArgs,
  LIFECYCLE_EVENTS,
  type LifecycleEvents,
  type ListenEvent,
  type ListenEvents,
  type RoomAck,
} from "./events.js";
import { type ConnectionSettings, RoomConnection, type RoomHost } from "./room-connection.js";
import { type AuthOption, TokenSource } from "./token.js";

/**
 * Options of `connect()`; only `auth` is required.
 *
 * @example
 * const options: ConnectOptions = { auth: getToken, minReconnectionDelayMs: 500, heartbeatIntervalMs: 15_000 };
 */
export interface ConnectOptions {
  /** The JWT, or a function asked for a current token before every connection attempt. */
  auth: AuthOption;
  /** Open the personal room right away. Default true; with false, call `socket.connect()`. */
  autoConnect?: boolean;
  /** Reconnect after failures and drops. Default true. */
  reconnection?: boolean;
  /** Attempts per room before giving up (`reconnect_failed`). Default unlimited. */
  reconnectionAttempts?: number;
  /** Floor of the jittered reconnect delay. Default 1000 ms. */
  minReconnectionDelayMs?: number;
  /** Cap of the jittered reconnect delay. Default 10000 ms. */
  maxReconnectionDelayMs?: number;
  /** Randomness for the delays, in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** How often each room's socket sends a heartbeat; 0 turns heartbeats off. Default 30000 ms. */
  heartbeatIntervalMs?: number;
  /** How long an answer to a heartbeat may take before the socket counts as dead. Default 10000 ms. */
  heartbeatTimeoutMs?: number;
  /** Longest wait for a token plus the `joined` frame. Default 10000 ms. */
  connectTimeoutMs?: number;
  /** Longest wait for an ack (`emitWithAck`, ack callbacks). Default 10000 ms. */
  ackTimeoutMs?: number;
  /** Frames kept per room while it is (re)joining. Default 100. */
  maxQueuedFrames?: number;
  /** A WebSocket class, where there is no global one. */
  WebSocket?: unknown;
  /** A fetch function (for the access check), where there is no global one. */
  fetch?: typeof globalThis.fetch;
}

/**
 * Where a room stands: `paused` after `disconnect()`, until `connect()`.
 *
 * @example
 * if (socket.roomState("restaurant-kitchen") === "reconnecting") showSpinner();
 */
export type RoomState = "connecting" | "joined" | "reconnecting" | "paused";

/**
 * Emits client events to one room: `socket.to("order-42").emit(...)`.
 *
 * @example
 * const info = await socket.to("restaurant-kitchen").emitWithAck("room:info");
 */
export interface RoomEmitter {
  readonly room: string;
  emit<E extends EmitEvent>(event: E, ...args: EmitArgs<E>): RoomEmitter;
  emitWithAck<E extends EmitEvent>(event: E, ...args: EmitWithAckArgs<E>): Promise<EmitAcks[E]>;
}

/**
 * A connection to the hub: the user's personal room plus every room joined with `join-room`.
 * Create it with `connect()`.
 *
 * @example
 * const socket = connect("https://hub.example.com", { auth: () => session.getToken() });
 * socket.on("notification", (data, room) => toast(data.title));
 * socket.emit("join-room", "order-42", (ok, error) => ok || console.warn(error?.code));
 */
export class RoomcastSocket {
  /** The hub's base URL, as given. */
  readonly url: string;
  private readonly registry = new ListenerRegistry();
  private readonly anyListeners = new Set<AnyRoomListener>();
  private readonly settings: ConnectionSettings;
  private readonly tokens: TokenSource;
  private readonly rooms = new Map<string, RoomConnection>();
  private personal: RoomConnection | undefined;
  private active = false;
  private ackIds = 0;
  private readonly host: RoomHost;

  constructor(url: string, options: ConnectOptions) {
    this.url = url;
    this.tokens = new TokenSource(options.auth);
    const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.settings = {
      reconnection: options.reconnection ?? true,
      reconnectionAttempts: options.reconnectionAttempts ?? Number.POSITIVE_INFINITY,
      minReconnectionDelayMs: options.minReconnectionDelayMs ?? DEFAULT_MIN_DELAY_MS,
      maxReconnectionDelayMs: options.maxReconnectionDelayMs ?? DEFAULT_MAX_DELAY_MS,
      random: options.random ?? Math.random,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 30_000,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 10_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
      maxQueuedFrames: options.maxQueuedFrames ?? 100,
      WebSocket: options.WebSocket,
      fetch: fetchFn,
    };
    // What the room connections may reach; kept off the public surface.
    this.host = {
      base: url,
      settings: this.settings,
      tokens: this.tokens,
      nextAckId: () => ++this.ackIds,
      deliver: (event, data, room) => this.deliver(event, data, room),
      lifecycle: (event, ...args) => this.registry.emit(event, args),
      ended: (connection) => this.forget(connection),
    };
  }

  /** True while the personal room's socket is joined. */
  get connected(): boolean {
    return this.personal?.phase === "joined";
  }

  /** The personal room, `user-{sub}`, once the first token was read. */
  get personalRoom(): string | undefined {
    return this.personal?.room;
  }

  /** The `sub` of the token, once the first token was read. */
  get userId(): string | undefined {
    return this.personalRoom?.slice("user-".length);
  }

  /** Rooms whose socket is joined right now, the personal room included. */
  get joinedRooms(): string[] {
    return this.connections()
      .filter((connection) => connection.phase === "joined")
      .map((connection) => connection.room as string);
  }

  /** Where a room stands, or undefined when it is not on this socket (never joined, left or refused). */
  roomState(room: string): RoomState | undefined {
    const connection = this.find(room);
    if (!connection) return undefined;
    switch (connection.phase) {
      case "joined":
        return "joined";
      case "waiting":
        return "reconnecting";
      case "idle":
        return "paused";
      default:
        return "connecting";
    }
  }

  /**
   * Opens the personal room and every room on the list. Idempotent; reopens after `disconnect()`.
   *
   * @example
   * const socket = connect(url, { auth, autoConnect: false });
   * socket.connect();
   */
  connect(): this {
    this.active = true;
    if (!this.personal) this.personal = new RoomConnection(this.host, undefined);
    for (const connection of this.connections()) connection.open();
    return this;
  }

  /**
   * Closes every socket and stops reconnecting. Joined rooms stay on the list: `connect()` rejoins them.
   *
   * @example
   * window.addEventListener("pagehide", () => socket.disconnect());
   */
  disconnect(): this {
    this.active = false;
    for (const connection of this.connections()) connection.suspend();
    return this;
  }

  /**
   * Listens to a room event (`(data, room)`) or a lifecycle event.
   *
   * @example
   * socket.on("order-status-updated", (data, room) => render(room, data.status));
   * socket.on("connect_error", (error) => console.warn(error.room, error.code, error.willRetry));
   */
  on<E extends ListenEvent>(event: E, listener: ListenEvents[E]): this {
    this.registry.add(event, listener as AnyFunction);
    return this;
  }

  /**
   * Like `on`, for the next occurrence only.
   *
   * @example
   * socket.once("connect", (room) => console.log("first join", room));
   */
  once<E extends ListenEvent>(event: E, listener: ListenEvents[E]): this {
    this.registry.add(event, listener as AnyFunction, true);
    return this;
  }

  /**
   * Removes a listener, or every listener of `event` when none is given.
   *
   * @example
   * socket.off("notification", onNotification);
   */
  off<E extends ListenEvent>(event: E, listener?: ListenEvents[E]): this {
    this.registry.remove(event, listener as AnyFunction | undefined);
    return this;
  }

  /**
   * Listens to every room event, typed or not (`data` is unknown: check it before use).
   *
   * @example
   * socket.onAny((event, data, room) => console.debug(room, event, data));
   */
  onAny(listener: AnyRoomListener): this {
    this.anyListeners.add(listener);
    return this;
  }

  /**
   * Removes a catch-all listener.
   *
   * @example
   * socket.offAny(logEverything);
   */
  offAny(listener: AnyRoomListener): this {
    this.anyListeners.delete(listener);
    return this;
  }

  /**
   * `join-room` / `leave-room` manage rooms; any other event is sent to the personal room
   * (use `to(room)` for another room).
   *
   * @example
   * socket.emit("join-room", "restaurant-kitchen", (ok, error) => { if (!ok) alert(error?.message); });
   * socket.emit("leave-room", "restaurant-kitchen");
   * socket.emit("room:info", undefined, (info, error) => console.log(info?.members ?? error?.code));
   * socket.emit("notification:read", { ids: ["n17", "order-42-ready"] }, (result) => console.log(result?.read));
   */
  emit(event: "join-room", room: string, ack?: RoomAck): this;
  emit(event: "leave-room", room: string, ack?: RoomAck): this;
  emit<E extends EmitEvent>(event: E, ...args: EmitArgs<E>): this;
  emit(event: string, ...args: unknown[]): this {
    const [first, second] = args;
    const callback = typeof second === "function" ? (second as AnyFunction) : undefined;
    if (event === "join-room") this.join(first, callback);
    else if (event === "leave-room") this.leave(first, callback);
    else this.send(this.personal, this.personalRoom, event, first, callback);
    return this;
  }

  /**
   * Like `emit`, as a Promise: the ack's result, or a RoomcastError (hub error, timeout, refusal).
   * For `join-room` the promise times out after `ackTimeoutMs` while the room keeps trying.
   *
   * @example
   * const info = await socket.emitWithAck("room:info");
   * await socket.emitWithAck("join-room", "order-42");
   */
  emitWithAck(event: "join-room", room: string): Promise<true>;
  emitWithAck(event: "leave-room", room: string): Promise<true>;
  emitWithAck<E extends EmitEvent>(event: E, ...args: EmitWithAckArgs<E>): Promise<EmitAcks[E]>;
  emitWithAck(event: string, data?: unknown): Promise<unknown> {
    if (event === "join-room" || event === "leave-room") {
      return this.withTimeout(
        event,
        typeof data === "string" ? data : undefined,
        new Promise((resolve, reject) => {
          const ack: RoomAck = (ok, error) => (ok ? resolve(true) : reject(error));
          if (event === "join-room") this.join(data, ack);
          else this.leave(data, ack);
        }),
      );
    }
    return ackPromise<unknown>((ack) => this.send(this.personal, this.personalRoom, event, data, ack));
  }

  /**
   * Targets one joined room with client events.
   *
   * @example
   * socket.to("order-42").emit("room:info", undefined, (info) => console.log(info?.members));
   */
  to(room: string): RoomEmitter {
    const emitter: RoomEmitter = {
      room,
      emit: (event, ...args) => {
        const [data, ack] = args;
        this.send(this.find(room), room, event, data, ack as AnyFunction | undefined);
        return emitter;
      },
      emitWithAck: (event, ...args) =>
        ackPromise<EmitAcks[typeof event]>((ack) => this.send(this.find(room), room, event, args[0], ack)),
    };
    return emitter;
  }

  // ----- internals --------------------------------------------------------------------------------

  private connections(): RoomConnection[] {
    return this.personal ? [this.personal, ...this.rooms.values()] : [...this.rooms.values()];
  }

  private find(room: string): RoomConnection | undefined {
    if (this.personal && this.personal.room === room) return this.personal;
    return this.rooms.get(room);
  }

  private join(room: unknown, ack: AnyFunction | undefined): void {
    if (typeof room !== "string" || room.length === 0) {
      const error = new RoomcastError("invalid_room", "join-room needs a room name");
      if (ack) queueMicrotask(() => invokeSafely(ack, [false, error], "join-room ack"));
      return;
    }
    let connection = this.find(room);
    if (!connection) {
      connection = new RoomConnection(this.host, room);
      this.rooms.set(room, connection);
      if (this.active) connection.open();
    }
    connection.whenJoined(ack as RoomAck | undefined);
  }

  private leave(room: unknown, ack: AnyFunction | undefined): void {
    const reply = (ok: boolean, error?: RoomcastError) => {
      if (ack) queueMicrotask(() => invokeSafely(ack, error ? [ok, error] : [ok], "leave-room ack"));
    };
    if (typeof room !== "string") {
      reply(false, new RoomcastError("invalid_room", "leave-room needs a room name"));
      return;
    }
    if (this.personal && this.personal.room === room) {
      reply(false, new RoomcastError("bad_request", "the personal room cannot be left: use disconnect()", { room }));
      return;
    }
    this.rooms.get(room)?.close(new RoomcastError("left", `${room} was left`, { room }));
    reply(true);
  }

  private forget(connection: RoomConnection): void {
    if (connection === this.personal) this.personal = undefined;
    const room = connection.room;
    if (room !== undefined && this.rooms.get(room) === connection) this.rooms.delete(room);
  }

  private send(
    connection: RoomConnection | undefined,
    room: string | undefined,
    event: string,
    data: unknown,
    ack: AnyFunction | undefined,
  ): void {
    const callback = ack as AckCallback<unknown> | undefined;
    const handlers = callback && {
      resolve: (result: unknown) => invokeSafely(callback, [result], `${event} ack`),
      reject: (error: RoomcastError) => invokeSafely(callback, [undefined, error], `${event} ack`),
    };
    if (!connection) {
      const error = new RoomcastError(
        "not_joined",
        `${room ?? "the personal room"} is not joined: emit join-room first`,
        {
          room,
        },
      );
      if (handlers) queueMicrotask(() => handlers.reject(error));
      return;
    }
    connection.send(event, data, handlers);
  }

  private deliver(event: string, data: unknown, room: string): void {
    // A room event must never pose as a lifecycle event.
    if (LIFECYCLE_EVENTS.has(event)) return;
    this.registry.emit(event, [data, room]);
    for (const listener of [...this.anyListeners]) invokeSafely(listener, [event, data, room], "onAny");
  }

  private withTimeout<T>(event: string, room: string | undefined, promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new RoomcastError("timeout", `${event} ${room ?? ""} did not complete within the ack timeout`, { room }),
        );
      }, this.settings.ackTimeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

/**
 * Turns an ack callback API into a Promise that rejects with the ack's error. The result is typed
 * by the event's entry in the protocol's ack map, as ack callbacks are.
 */
function ackPromise<T>(start: (ack: AckCallback<unknown>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((result, error) => (error ? reject(error) : resolve(result as T)));
  });
}

/**
 * Connects to the hub and joins the user's personal room `user-{sub}`.
 *
 * @example
 * import { connect } from "roomcast/client";
 *
 * const socket = connect("https://hub.example.com", {
 *   auth: async ({ reason }) => (await fetch(`/api/hub-token?fresh=${reason === "token_expired"}`)).text(),
 * });
 * socket.on("connect", (room) => console.log("joined", room));
 * socket.on("notification", (data) => showToast(data.title, data.body));
 */
export function connect(url: string, options: ConnectOptions): RoomcastSocket {
  const socket = new RoomcastSocket(url, options);
  if (options.autoConnect !== false) socket.connect();
  return socket;
}

export type { LifecycleEvents };
