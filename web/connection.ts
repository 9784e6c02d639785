/**
 * The connection state every page shows, read from the socket's own events (the socket is
 * connected while its personal room is joined): connecting, connected, reconnecting (with the
 * time the next attempt starts, as the client scheduled it) or offline.
 */
import type { DisconnectReason, ReconnectScheduledInfo, RoomcastError, RoomcastSocket } from "../client";

export type ConnectionPhase = "connecting" | "connected" | "reconnecting" | "offline";

export interface ConnectionView {
  phase: ConnectionPhase;
  /** While reconnecting: when (ms) the next attempt starts; null while one runs. */
  retryBy: number | null;
  /** Attempts since the personal room was last joined. */
  attempt: number;
  /** Why, in words, when not connected. */
  detail: string | null;
}

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
  private browserOffline = typeof navigator !== "undefined" && navigator.onLine === false;
  private view: ConnectionView = this.state;

  constructor(private readonly socket: RoomcastSocket) {
    if (socket.connected) this.state = { ...this.state, phase: "connected" };
    this.view = this.compose();
  }

  /** Listens to the socket and the browser; returns the function that stops listening. */
  start(): () => void {
    const { socket } = this;
    const retryBy = () => socket.nextAttemptAt();
    const onConnect = () => this.set({ phase: "connected", retryBy: null, attempt: 0, detail: null });
    const stopSocket = socket.listen({
      connect: onConnect,
      disconnect: (reason) => {
        if (reason === "client" || reason === "access_revoked") {
          this.set({ phase: "offline", retryBy: null, attempt: 0, detail: REASONS[reason] });
          return;
        }
        this.set({ phase: "reconnecting", retryBy: retryBy(), attempt: 0, detail: REASONS[reason] });
      },
      connect_error: (error) => {
        const detail = describeError(error);
        if (!error.willRetry) {
          this.set({ phase: "offline", retryBy: null, attempt: this.state.attempt, detail });
          return;
        }
        this.set({ phase: "reconnecting", retryBy: retryBy(), attempt: this.state.attempt, detail });
      },
      // The client says when it will try again; the banner counts down to exactly that.
      "room:reconnect_scheduled": (info: ReconnectScheduledInfo) => {
        if (!this.isPersonal(info.room) || this.state.phase === "connected") return;
        this.set({ ...this.state, retryBy: info.at });
      },
    });
    const onAttempt = (attempt: number) => {
      this.set({
        ...this.state,
        phase: this.state.phase === "connecting" ? "connecting" : "reconnecting",
        retryBy: null,
        attempt,
      });
    };
    const onGiveUp = () => {
      this.set({ phase: "offline", retryBy: null, attempt: this.state.attempt, detail: "gave up reconnecting" });
    };
    socket.io.on("reconnect_attempt", onAttempt);
    socket.io.on("reconnect_failed", onGiveUp);
    const onNetwork = () => {
      this.browserOffline = navigator.onLine === false;
      this.publish();
    };
    window.addEventListener("online", onNetwork);
    window.addEventListener("offline", onNetwork);
    // The socket may have connected before these listeners existed.
    if (socket.connected && this.state.phase !== "connected") onConnect();
    return () => {
      stopSocket();
      socket.io.off("reconnect_attempt", onAttempt);
      socket.io.off("reconnect_failed", onGiveUp);
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
    return room === undefined || room === this.socket.personalRoom;
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
