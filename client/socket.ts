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
  INTERNAL_EVENTS,
  LIFECYCLE_EVENTS,
  type LifecycleEvents,
  type ListenEvent,
  type ListenEvents,
  type ListenerMap,
  type ManagerEvents,
  type RoomAck,
  type RoomLifecycleEvents,
  type TimeoutAckCallback,
  type TimeoutEmitArgs,
} from "./events.js";
import { randomId } from "./ids.js";
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
  // Socket.io's names for the same settings, so that its options port unchanged.
  /** Socket.io's name for `minReconnectionDelayMs`. */
  reconnectionDelay?: number;
  /** Socket.io's name for `maxReconnectionDelayMs`. */
  reconnectionDelayMax?: number;
  /** Socket.io's name for `connectTimeoutMs`. */
  timeout?: number;
  /** Socket.io's name for `ackTimeoutMs`. */
  ackTimeout?: number;
  /** Accepted for Socket.io code: the client always uses WebSockets. */
  transports?: readonly "websocket"[];
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof ConnectOptions>([
  "auth",
  "autoConnect",
  "reconnection",
  "reconnectionAttempts",
  "minReconnectionDelayMs",
  "maxReconnectionDelayMs",
  "random",
  "heartbeatIntervalMs",
  "heartbeatTimeoutMs",
  "connectTimeoutMs",
  "ackTimeoutMs",
  "maxQueuedFrames",
  "WebSocket",
  "fetch",
  "reconnectionDelay",
  "reconnectionDelayMax",
  "timeout",
  "ackTimeout",
  "transports",
]);

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
  /** The same room, with acks that time out after `ms` and are called error first, like Socket.io's. */
  timeout(ms: number): TimeoutEmitter;
}

/**
 * What `socket.timeout(ms)` returns: Socket.io's `timeout(ms).emit(event, data, (err, result) => ...)`
 * and `timeout(ms).emitWithAck(...)`, with `ms` instead of `ackTimeoutMs`.
 *
 * @example
 * socket.timeout(2_000).emit("room:info", undefined, (error, info) => console.log(error?.code ?? info?.members));
 * const joined = await socket.timeout(5_000).emitWithAck("join-room", "restaurant-kitchen");
 */
export interface TimeoutEmitter {
  emit(event: "join-room" | "leave-room", room: string, ack?: TimeoutAckCallback<true>): TimeoutEmitter;
  emit<E extends EmitEvent>(event: E, ...args: TimeoutEmitArgs<E>): TimeoutEmitter;
  emitWithAck(event: "join-room" | "leave-room", room: string): Promise<true>;
  emitWithAck<E extends EmitEvent>(event: E, ...args: EmitWithAckArgs<E>): Promise<EmitAcks[E]>;
}

/**
 * `socket.io`: the Socket.io-style manager, for the reconnection of the socket as a whole.
 *
 * @example
 * socket.io.on("reconnect_attempt", (attempt) => console.info("reconnecting, attempt", attempt));
 * socket.io.on("reconnect_failed", () => showOffline());
 */
export interface Manager {
  on<E extends keyof ManagerEvents>(event: E, listener: ManagerEvents[E]): Manager;
  once<E extends keyof ManagerEvents>(event: E, listener: ManagerEvents[E]): Manager;
  off<E extends keyof ManagerEvents>(event: E, listener?: ManagerEvents[E]): Manager;
}

/** Publish ids remembered per socket, to deliver a publish that named several joined rooms once. */
const REMEMBERED_PUBLISHES = 1_000;

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
  /** The Socket.io-style manager: `socket.io.on("reconnect", ...)`. */
  readonly io: Manager;
  private readonly registry = new ListenerRegistry();
  private readonly managerRegistry = new ListenerRegistry();
  private readonly anyListeners = new Set<AnyRoomListener>();
  private readonly roomListeners = new Map<string, Set<AnyRoomListener>>();
  private readonly settings: ConnectionSettings;
  private readonly tokens: TokenSource;
  private readonly rooms = new Map<string, RoomConnection>();
  /** Who needs each joined room: the app's `join-room` and every `hold()` (the React hooks). */
  private readonly holds = new Map<string, { app: boolean; holders: Set<symbol> }>();
  private readonly seenPublishes = new Set<string>();
  private personal: RoomConnection | undefined;
  private sessionId: string | undefined;
  private reconnecting = false;
  private active = false;
  private ackIds = 0;
  private readonly host: RoomHost;

  constructor(url: string, options: ConnectOptions) {
    this.url = url;
    const unknown = Object.keys(options).filter((key) => !KNOWN_OPTIONS.has(key));
    if (unknown.length > 0) {
      console.warn(
        `roomcast: unknown connect() option${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} ignored (see ConnectOptions)`,
      );
    }
    this.tokens = new TokenSource(options.auth);
    const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.settings = {
      reconnection: options.reconnection ?? true,
      reconnectionAttempts: options.reconnectionAttempts ?? Number.POSITIVE_INFINITY,
      minReconnectionDelayMs: options.minReconnectionDelayMs ?? options.reconnectionDelay ?? DEFAULT_MIN_DELAY_MS,
      maxReconnectionDelayMs: options.maxReconnectionDelayMs ?? options.reconnectionDelayMax ?? DEFAULT_MAX_DELAY_MS,
      random: options.random ?? Math.random,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 30_000,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 10_000,
      connectTimeoutMs: options.connectTimeoutMs ?? options.timeout ?? 10_000,
      ackTimeoutMs: options.ackTimeoutMs ?? options.ackTimeout ?? 10_000,
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
      deliver: (event, data, room, publishId) => this.deliver(event, data, room, publishId),
      lifecycle: (from, event, ...args) => this.lifecycle(from, event, args),
      ended: (connection) => this.forget(connection),
    };
    const manager: Manager = {
      on: (event, listener) => {
        this.managerRegistry.add(event, listener as AnyFunction);
        return manager;
      },
      once: (event, listener) => {
        this.managerRegistry.add(event, listener as AnyFunction, true);
        return manager;
      },
      off: (event, listener) => {
        this.managerRegistry.remove(event, listener as AnyFunction | undefined);
        return manager;
      },
    };
    this.io = manager;
  }

  /** True while the personal room's socket is joined. */
  get connected(): boolean {
    return this.personal?.phase === "joined";
  }

  /** The opposite of `connected`, as in Socket.io. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /**
   * A random id for the current connection, new on every (re)connect and undefined while
   * disconnected, like Socket.io's. The client draws it: the hub does not know it, so it cannot
   * address a socket by it (address the user's room `user-{id}` instead).
   */
  get id(): string | undefined {
    return this.sessionId;
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
   * When the next attempt to open `room` (default: the personal room) starts, in ms since the
   * epoch; null unless the room is waiting out a reconnection delay.
   *
   * @example
   * const at = socket.nextAttemptAt();
   * if (at !== null) show(`retrying in ${Math.ceil((at - Date.now()) / 1000)} s`);
   */
  nextAttemptAt(room?: string): number | null {
    const connection = room === undefined ? this.personal : this.find(room);
    return connection?.nextAttemptAt ?? null;
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

  /** Socket.io's name for `connect()`. */
  open(): this {
    return this.connect();
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

  /** Socket.io's name for `disconnect()`. */
  close(): this {
    return this.disconnect();
  }

  /**
   * Listens to a room event (`(data, room)`), a socket event (`connect`, `disconnect`,
   * `connect_error`) or a room lifecycle event (`room:connect`, ...). A publish that named
   * several rooms this socket joined reaches these listeners once.
   *
   * @example
   * socket.on("order-status-updated", (data, room) => render(room, data.status));
   * socket.on("room:connect_error", (error) => console.warn(error.room, error.code, error.willRetry));
   */
  on<E extends ListenEvent>(event: E, listener: ListenEvents[E]): this {
    this.registry.add(event, listener as AnyFunction);
    return this;
  }

  /**
   * Like `on`, for the next occurrence only.
   *
   * @example
   * socket.once("connect", () => console.log("first connection", socket.id));
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
   * Adds several listeners at once and returns the function that removes exactly those.
   *
   * @example
   * const stop = socket.listen({
   *   connect: () => setOnline(true),
   *   disconnect: () => setOnline(false),
   *   "order-status-updated": (update) => setStatus(update.status),
   * });
   * // later
   * stop();
   */
  listen(listeners: ListenerMap): () => void {
    const entries = Object.entries(listeners).filter(
      (entry): entry is [string, AnyFunction] => typeof entry[1] === "function",
    );
    for (const [event, listener] of entries) this.registry.add(event, listener);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      for (const [event, listener] of entries) this.registry.remove(event, listener);
    };
  }

  /**
   * Listens to every room event, typed or not (`data` is unknown: check it before use). The
   * hub's own `joined` and `closing` frames are not room events and do not reach it.
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
   * Listens to every event of one room, each copy (a publish that named this room and another
   * joined room reaches it here even when `on` listeners heard it from the other room); returns
   * the function that stops listening. What the React room hooks use.
   *
   * @example
   * const stop = socket.onRoomEvent("pool-staff", (event, data) => console.debug(event, data));
   */
  onRoomEvent(room: string, listener: (event: string, data: unknown, room: string) => void): () => void {
    let listeners = this.roomListeners.get(room);
    if (!listeners) {
      listeners = new Set();
      this.roomListeners.set(room, listeners);
    }
    const own = listeners;
    const entry: AnyRoomListener = (event, data, from) => listener(event, data, from);
    own.add(entry);
    return () => {
      own.delete(entry);
      if (own.size === 0 && this.roomListeners.get(room) === own) this.roomListeners.delete(room);
    };
  }

  /**
   * Joins `room` for as long as the caller needs it and returns the release function. A room is
   * left only when nothing needs it any more: neither the app's `join-room` nor any hold. The
   * React room hooks hold their rooms, so a `leave-room` elsewhere cannot close a room a mounted
   * hook still shows.
   *
   * @example
   * const release = socket.hold("restaurant-kitchen", (ok, error) => ok || console.warn(error?.code));
   * // when done
   * release();
   */
  hold(room: string, ack?: RoomAck): () => void {
    const token = Symbol(room);
    this.needs(room).holders.add(token);
    this.join(room, ack);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const need = this.holds.get(room);
      if (!need?.holders.delete(token)) return;
      this.leaveIfUnneeded(room);
    };
  }

  /**
   * `join-room` / `leave-room` manage rooms; any other event is sent to the personal room
   * (use `to(room)` for another room). `leave-room` leaves unless a `hold()` (a mounted React
   * hook) still needs the room.
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
    checkArity("emit", event, args);
    const [first, second] = args;
    const callback = typeof second === "function" ? (second as AnyFunction) : undefined;
    if (event === "join-room") this.appJoin(first, callback);
    else if (event === "leave-room") this.appLeave(first, callback);
    else this.transmit(this.personal, this.personalRoom, event, first, callback);
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
  emitWithAck(event: string, ...args: unknown[]): Promise<unknown> {
    checkArity("emitWithAck", event, args, 1);
    return this.ackPromise(undefined, event, args[0], this.settings.ackTimeoutMs);
  }

  /**
   * Socket.io's `timeout(ms)`: the next emit's ack is called `(error, result)`, with a `timeout`
   * error after `ms`.
   *
   * @example
   * socket.timeout(5_000).emit("notification:read", { ids: ["n1"] }, (error, result) => {
   *   if (error) console.warn(error.code);
   *   else console.info(result?.read);
   * });
   */
  timeout(ms: number): TimeoutEmitter {
    return this.timeoutEmitter(undefined, ms);
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
        checkArity("emit", event, args);
        const [data, ack] = args;
        this.transmit(this.find(room), room, event, data, ack as AnyFunction | undefined);
        return emitter;
      },
      emitWithAck: (event, ...args) => {
        checkArity("emitWithAck", event, args, 1);
        return this.ackPromise(room, event, args[0], this.settings.ackTimeoutMs) as Promise<EmitAcks[typeof event]>;
      },
      timeout: (ms) => this.timeoutEmitter(room, ms),
    };
    return emitter;
  }

  // ----- internals --------------------------------------------------------------------------------

  private timeoutEmitter(room: string | undefined, ms: number): TimeoutEmitter {
    const emitter: TimeoutEmitter = {
      emit: (event: string, ...args: unknown[]) => {
        checkArity("emit", event, args);
        const [data, ack] = args;
        const promise = this.ackPromise(room, event, data, ms);
        if (typeof ack === "function") {
          promise.then(
            (result) => invokeSafely(ack as AnyFunction, [null, result], `${event} ack`),
            (error: unknown) => invokeSafely(ack as AnyFunction, [error], `${event} ack`),
          );
        } else {
          promise.catch(() => {});
        }
        return emitter;
      },
      emitWithAck: (event: string, ...args: unknown[]) => {
        checkArity("emitWithAck", event, args, 1);
        return this.ackPromise(room, event, args[0], ms);
      },
    } as TimeoutEmitter;
    return emitter;
  }

  /** An emit as a Promise: `join-room`/`leave-room` on the socket, any other event to `room` (or the personal room). */
  private ackPromise(room: string | undefined, event: string, data: unknown, timeoutMs: number): Promise<never> {
    if (event === "join-room" || event === "leave-room") {
      const target = typeof data === "string" ? data : undefined;
      const done = new Promise<unknown>((resolve, reject) => {
        const ack: RoomAck = (ok, error) => (ok ? resolve(true) : reject(error));
        if (event === "join-room") this.appJoin(data, ack);
        else this.appLeave(data, ack);
      });
      return this.withTimeout(event, target, timeoutMs, done) as Promise<never>;
    }
    const connection = room === undefined ? this.personal : this.find(room);
    const name = room ?? this.personalRoom;
    return new Promise<never>((resolve, reject) => {
      this.transmit(
        connection,
        name,
        event,
        data,
        (result: unknown, error?: RoomcastError) => (error ? reject(error) : resolve(result as never)),
        timeoutMs,
      );
    });
  }

  private lifecycle(from: RoomConnection, event: keyof RoomLifecycleEvents, args: unknown[]): void {
    this.registry.emit(event, args);
    if (from !== this.personal) return;
    // The personal room is the socket as a whole: its transitions are the socket's, once each.
    switch (event) {
      case "room:connect":
        this.sessionId = randomId();
        this.reconnecting = false;
        this.registry.emit("connect", []);
        break;
      case "room:disconnect":
        this.sessionId = undefined;
        this.registry.emit("disconnect", [args[0]]);
        break;
      case "room:connect_error":
        this.registry.emit("connect_error", args);
        if (this.reconnecting) this.managerRegistry.emit("reconnect_error", args);
        break;
      case "room:reconnect_attempt":
        this.reconnecting = true;
        this.managerRegistry.emit("reconnect_attempt", [args[0]]);
        break;
      case "room:reconnect":
        this.managerRegistry.emit("reconnect", [args[0]]);
        break;
      case "room:reconnect_failed":
        this.managerRegistry.emit("reconnect_failed", []);
        break;
    }
  }

  private connections(): RoomConnection[] {
    return this.personal ? [this.personal, ...this.rooms.values()] : [...this.rooms.values()];
  }

  private find(room: string): RoomConnection | undefined {
    if (this.personal && this.personal.room === room) return this.personal;
    return this.rooms.get(room);
  }

  private needs(room: string): { app: boolean; holders: Set<symbol> } {
    let need = this.holds.get(room);
    if (!need) {
      need = { app: false, holders: new Set() };
      this.holds.set(room, need);
    }
    return need;
  }

  private appJoin(room: unknown, ack: AnyFunction | undefined): void {
    if (typeof room === "string" && room.length > 0 && room !== this.personalRoom) this.needs(room).app = true;
    this.join(room, ack);
  }

  private appLeave(room: unknown, ack: AnyFunction | undefined): void {
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
    const need = this.holds.get(room);
    if (need) need.app = false;
    this.leaveIfUnneeded(room);
    reply(true);
  }

  private leaveIfUnneeded(room: string): void {
    const need = this.holds.get(room);
    if (need && (need.app || need.holders.size > 0)) return;
    this.holds.delete(room);
    this.rooms.get(room)?.close(new RoomcastError("left", `${room} was left`, { room }));
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

  private forget(connection: RoomConnection): void {
    if (connection === this.personal) this.personal = undefined;
    const room = connection.room;
    if (room !== undefined && this.rooms.get(room) === connection) {
      this.rooms.delete(room);
      // Refused or given up: whoever held it holds nothing now (a new hold or join tries again).
      this.holds.delete(room);
    }
  }

  private transmit(
    connection: RoomConnection | undefined,
    room: string | undefined,
    event: string,
    data: unknown,
    ack: AnyFunction | undefined,
    timeoutMs = this.settings.ackTimeoutMs,
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
    connection.send(event, data, handlers, timeoutMs);
  }

  private deliver(event: string, data: unknown, room: string, publishId: string | undefined): void {
    // A room event must never pose as a lifecycle event.
    if (LIFECYCLE_EVENTS.has(event)) return;
    const internal = INTERNAL_EVENTS.has(event);
    if (!internal) {
      for (const listener of [...(this.roomListeners.get(room) ?? [])]) {
        invokeSafely(listener, [event, data, room], "room event");
      }
    }
    if (publishId !== undefined) {
      // One publish, several of this socket's rooms: the socket's listeners hear it once.
      if (this.seenPublishes.has(publishId)) return;
      this.seenPublishes.add(publishId);
      if (this.seenPublishes.size > REMEMBERED_PUBLISHES) {
        this.seenPublishes.delete(this.seenPublishes.values().next().value as string);
      }
    }
    this.registry.emit(event, [data, room]);
    if (internal) return;
    for (const listener of [...this.anyListeners]) invokeSafely(listener, [event, data, room], "onAny");
  }

  private withTimeout<T>(event: string, room: string | undefined, timeoutMs: number, promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new RoomcastError("timeout", `${event} ${room ?? ""} did not complete within ${timeoutMs} ms`, { room }),
        );
      }, timeoutMs);
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
 * The client's events carry one `data` and an optional ack: more arguments would be dropped
 * silently, so they are refused (the types refuse them too).
 */
function checkArity(method: string, event: string, args: readonly unknown[], max = 2): void {
  if (args.length <= max) return;
  const shape = max === 2 ? "(event, data?, ack?)" : "(event, data?)";
  throw new TypeError(
    `roomcast: ${method}${shape} got ${args.length} arguments after "${event}": send one data object`,
  );
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
 * socket.on("connect", () => console.log("connected", socket.id));
 * socket.on("notification", (data) => showToast(data.title, data.body));
 */
export function connect(url: string, options: ConnectOptions): RoomcastSocket {
  const socket = new RoomcastSocket(url, options);
  if (options.autoConnect !== false) socket.connect();
  return socket;
}

/**
 * Socket.io's name for `connect`: `io(url, options)`.
 *
 * @example
 * import { io } from "roomcast/client";
 * const socket = io("https://hub.example.com", { auth: { token } });
 */
export const io: typeof connect = connect;

export type { LifecycleEvents };
