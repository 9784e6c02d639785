/**
 * The connection state every page shows, read from the socket's lifecycle events for the tab's
 * personal room (the room the socket always holds): connecting, connected, reconnecting (with the
 * time by which the next attempt starts) or offline.
 *
 * The client announces `reconnect_attempt` when an attempt starts, after its delay. What the
 * banner counts down to before that is the latest moment the next attempt can start, from the
 * client's documented backoff: each delay is drawn between the floor and three times the previous
 * delay, capped, and the delays start over once a connection stayed up for 5 seconds.
 */
import type { DisconnectReason, RoomcastError, RoomcastSocket } from "../client";

export type ConnectionPhase = "connecting" | "connected" | "reconnecting" | "offline";

export interface ConnectionView {
  phase: ConnectionPhase;
  /** While reconnecting: the latest time (ms) the next attempt starts; null while one runs. */
  retryBy: number | null;
  /** Attempts since the personal room was last joined. */
  attempt: number;
  /** Why, in words, when not connected. */
  detail: string | null;
}

export interface BackoffBounds {
  minDelayMs: number;
  maxDelayMs: number;
}

/** The client starts its delays over after a connection stayed up this long (client README). */
const STABLE_AFTER_MS = 5_000;

const REASONS: Record<DisconnectReason, string> = {
  client: "disconnected by this page",
  transport: "the connection dropped",
  heartbeat_timeout: "the hub stopped answering heartbeats",
  token_expired: "the token expired; getting a new one",
  access_revoked: "access was revoked",
  policy_violation: "the hub closed the connection (too many bad frames)",
  server_error: "the hub could not deliver to this connection",
  server_closed: "the hub closed the connection",
};

export class ConnectionTracker {
  private state: ConnectionView = { phase: "connecting", retryBy: null, attempt: 0, detail: null };
  private readonly listeners = new Set<() => void>();
  private joinedAt = 0;
  private lastDelayMs: number;
  private browserOffline = typeof navigator !== "undefined" && navigator.onLine === false;
  private view: ConnectionView = this.state;

  constructor(
    private readonly socket: RoomcastSocket,
    private readonly personalRoom: string,
    private readonly bounds: BackoffBounds,
  ) {
    this.lastDelayMs = bounds.minDelayMs;
    if (socket.connected) this.state = { ...this.state, phase: "connected" };
    this.view = this.compose();
  }

  /** Listens to the socket and the browser; returns the function that stops listening. */
  start(): () => void {
    const { socket } = this;
    const onConnect = (room: string) => {
      if (!this.isPersonal(room)) return;
      this.joinedAt = Date.now();
      this.lastDelayMs = this.bounds.minDelayMs;
      this.set({ phase: "connected", retryBy: null, attempt: 0, detail: null });
    };
    const onDisconnect = (reason: DisconnectReason, room: string) => {
      if (!this.isPersonal(room)) return;
      if (reason === "client" || reason === "access_revoked") {
        this.set({ phase: "offline", retryBy: null, attempt: 0, detail: REASONS[reason] });
        return;
      }
      if (Date.now() - this.joinedAt >= STABLE_AFTER_MS) this.lastDelayMs = this.bounds.minDelayMs;
      const retryBy = reason === "token_expired" ? Date.now() : this.latestNextAttempt();
      this.set({ phase: "reconnecting", retryBy, attempt: 0, detail: REASONS[reason] });
    };
    const onAttempt = (attempt: number, info: { room: string | undefined; delayMs: number }) => {
      if (!this.isPersonal(info.room)) return;
      this.lastDelayMs = Math.max(this.bounds.minDelayMs, info.delayMs);
      this.set({
        ...this.state,
        phase: this.state.phase === "connecting" ? "connecting" : "reconnecting",
        retryBy: null,
        attempt,
      });
    };
    const onError = (error: RoomcastError) => {
      if (!this.isPersonal(error.room)) return;
      const detail = describeError(error);
      if (!error.willRetry) {
        this.set({ phase: "offline", retryBy: null, attempt: this.state.attempt, detail });
        return;
      }
      const retryBy = error.code === "token_expired" ? Date.now() : this.latestNextAttempt();
      this.set({ phase: "reconnecting", retryBy, attempt: this.state.attempt, detail });
    };
    const onGiveUp = (error: RoomcastError) => {
      if (!this.isPersonal(error.room)) return;
      this.set({ phase: "offline", retryBy: null, attempt: this.state.attempt, detail: describeError(error) });
    };
    const onNetwork = () => {
      this.browserOffline = navigator.onLine === false;
      this.publish();
    };
    socket.on("connect", onConnect);
    socket.on("disconnect", onDisconnect);
    socket.on("reconnect_attempt", onAttempt);
    socket.on("connect_error", onError);
    socket.on("reconnect_failed", onGiveUp);
    window.addEventListener("online", onNetwork);
    window.addEventListener("offline", onNetwork);
    // The socket may have joined before these listeners existed.
    if (socket.connected && this.state.phase !== "connected") onConnect(this.personalRoom);
    return () => {
      socket.off("connect", onConnect);
      socket.off("disconnect", onDisconnect);
      socket.off("reconnect_attempt", onAttempt);
      socket.off("connect_error", onError);
      socket.off("reconnect_failed", onGiveUp);
      window.removeEventListener("online", onNetwork);
      window.removeEventListener("offline", onNetwork);
    };
  }

  /** The page gave up (no way to get a token): offline, for the reason given. */
  stop(detail: string): void {
    this.set({ phase: "offline", retryBy: null, attempt: this.state.attempt, detail });
  }

  /** For `useSyncExternalStore`. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getView = (): ConnectionView => this.view;

  private isPersonal(room: string | undefined): boolean {
    // The personal room has no name until the first token was read.
    return room === undefined || room === this.personalRoom;
  }

  /** The latest start of the next attempt: a delay is at most three times the previous one, capped. */
  private latestNextAttempt(): number {
    const { minDelayMs, maxDelayMs } = this.bounds;
    return Date.now() + Math.min(maxDelayMs, Math.max(minDelayMs, this.lastDelayMs * 3));
  }

  private set(state: ConnectionView): void {
    this.state = state;
    this.publish();
  }

  private publish(): void {
    this.view = this.compose();
    for (const listener of [...this.listeners]) listener();
  }

  private compose(): ConnectionView {
    if (!this.browserOffline) return this.state;
    return { ...this.state, phase: "offline", retryBy: null, detail: "this device has no network" };
  }
}

function describeError(error: RoomcastError): string {
  switch (error.code) {
    case "network_error":
    case "timeout":
      return "the hub is not reachable";
    case "auth_failed":
      return `no token: ${error.cause instanceof Error ? error.cause.message : error.message}`;
    case "rate_limited":
      return "the hub asked to slow down";
    default:
      return `${error.code}: ${error.message}`;
  }
}
