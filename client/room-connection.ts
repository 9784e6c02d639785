/**
 * One room's socket: opens it with a fresh token, waits for the `joined` frame, keeps it alive
 * with heartbeats, and decides after every failure whether to retry (and when) or give up.
 *
 * partysocket's ReconnectingWebSocket is the transport, with its own retries off (`maxRetries: 0`):
 * each attempt is one `reconnect()` call made by this class after its own jittered delay, because
 * partysocket's delays are not jittered per attempt and it cannot tell a refused join (never
 * retry) from a network failure (retry).
 */
import ReconnectingWebSocket from "partysocket/ws";
import { CloseCode } from "../src/protocol.js";
import { type AccessVerdict, checkAccess } from "./access-check.js";
import { Backoff } from "./backoff.js";
import { invokeSafely } from "./emitter.js";
import { RoomcastError } from "./errors.js";
import type { DisconnectReason, RoomAck, RoomLifecycleEvents } from "./events.js";
import { readServerFrames } from "./frames.js";
import { Heartbeat } from "./heartbeat.js";
import { type JoinOutcome, type ResumeQuery, RoomCursor } from "./room-cursor.js";
import { roomSocketUrl } from "./room-url.js";
import { type AuthContext, readTokenClaims, type TokenSource } from "./token.js";

export interface ConnectionSettings {
  reconnection: boolean;
  reconnectionAttempts: number;
  minReconnectionDelayMs: number;
  maxReconnectionDelayMs: number;
  random: () => number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  connectTimeoutMs: number;
  ackTimeoutMs: number;
  maxQueuedFrames: number;
  WebSocket: unknown;
  fetch: typeof globalThis.fetch;
}

/** What a connection needs from the socket that owns it. */
export interface RoomHost {
  readonly base: string;
  readonly settings: ConnectionSettings;
  readonly tokens: TokenSource;
  nextAckId(): number;
  deliver(event: string, data: unknown, room: string, publishId: string | undefined): void;
  /** A room lifecycle event of `from`; the socket also turns its personal room's into the socket's own. */
  lifecycle<E extends keyof RoomLifecycleEvents>(
    from: RoomConnection,
    event: E,
    ...args: Parameters<RoomLifecycleEvents[E]>
  ): void;
  /** The connection is finished for good (refused, revoked, given up, left). */
  ended(connection: RoomConnection): void;
}

export type RoomPhase =
  /** Not started, or paused by `disconnect()`. */
  | "idle"
  | "connecting"
  | "joined"
  /** Waiting out a backoff delay before the next attempt. */
  | "waiting"
  | "closed";

interface PendingAck {
  resolve: (data: unknown) => void;
  reject: (error: RoomcastError) => void;
  timer: ReturnType<typeof setTimeout>;
  sent: boolean;
}

interface QueuedFrame {
  text: string;
  ack: number | undefined;
}

/** A connection must stay up this long before its backoff starts over, so a flapping room keeps backing off. */
const STABLE_AFTER_MS = 5_000;

/** Close code the client uses when it abandons a socket (dead heartbeat, connect timeout). */
const CLIENT_ABANDON_CODE = 4000;

export class RoomConnection {
  phase: RoomPhase = "idle";
  /** Survives every reconnect of this room; a `leave-room` drops the connection and with it the cursor. */
  readonly cursor = new RoomCursor();
  /** What the current attempt asked the hub to replay (fixed when its URL was built). */
  private askedResume: ResumeQuery | undefined;
  private name: string | undefined;
  private readonly host: RoomHost;
  private readonly ws: ReconnectingWebSocket;
  private readonly backoff: Backoff;
  private readonly heartbeat: Heartbeat;
  /** Bumped whenever pending async work (token fetch, access check) must be discarded. */
  private generation = 0;
  /** The current attempt's socket may still report events. */
  private live = false;
  private joinedThisAttempt = false;
  private joinedAt = 0;
  private attemptToken: string | undefined;
  /** Attempts since the room was last joined; numbers `reconnect_attempt`. */
  private failures = 0;
  /** The single token refresh allowed after an expiry is spent. */
  private refreshed = false;
  private tokenReason: AuthContext["reason"] = "connect";
  /** Why the current attempt's token was asked for. */
  private attemptReason: AuthContext["reason"] = "connect";
  private lostHeartbeat = false;
  /** The code of a `closing` frame, which wins over the code of the close that follows it. */
  private announcedClose: number | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the scheduled retry starts (ms since the epoch), while one is scheduled. */
  nextAttemptAt: number | null = null;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private joinWaiters: RoomAck[] = [];
  private readonly pending = new Map<number, PendingAck>();
  private queue: QueuedFrame[] = [];

  /** `room` undefined: the personal room, named `user-{sub}` from the first token. */
  constructor(host: RoomHost, room: string | undefined) {
    this.host = host;
    this.name = room;
    const { settings } = host;
    this.backoff = new Backoff({
      minDelayMs: settings.minReconnectionDelayMs,
      maxDelayMs: settings.maxReconnectionDelayMs,
      random: settings.random,
    });
    this.heartbeat = new Heartbeat({
      intervalMs: settings.heartbeatIntervalMs,
      timeoutMs: settings.heartbeatTimeoutMs,
      send: (frame) => {
        this.ws.send(frame);
      },
      onTimeout: () => {
        this.lostHeartbeat = true;
        this.abandon("heartbeat timeout");
      },
    });
    // The URL function runs on every (re)connect; the token was fetched just before, outside
    // partysocket, so that a slow auth function cannot hold partysocket's connect lock.
    this.ws = new ReconnectingWebSocket(() => this.socketUrl(), undefined, {
      WebSocket: settings.WebSocket,
      startClosed: true,
      maxRetries: 0,
      maxEnqueuedMessages: 0,
      connectionTimeout: settings.connectTimeoutMs,
    });
    this.ws.addEventListener("message", (event) => this.onMessage(event.data));
    this.ws.addEventListener("close", (event) => this.onSocketEnd(event.code));
    this.ws.addEventListener("error", () => this.onSocketEnd(1006));
  }

  get room(): string | undefined {
    return this.name;
  }

  /** Starts connecting, unless already under way. */
  open(): void {
    if (this.phase !== "idle") return;
    void this.runAttempt();
  }

  /** Calls `ack(true)` once joined, or `ack(false, error)` if the room is refused or dropped. */
  whenJoined(ack: RoomAck | undefined): void {
    if (!ack) return;
    if (this.phase === "joined") queueMicrotask(() => invokeSafely(ack, [true], "join-room ack"));
    else this.joinWaiters.push(ack);
  }

  /** Closes the socket but keeps the room, its waiters and queued frames: `disconnect()`. */
  suspend(): void {
    if (this.phase === "closed" || this.phase === "idle") return;
    const wasJoined = this.phase === "joined";
    this.stopEverything();
    this.phase = "idle";
    this.failures = 0;
    this.backoff.reset();
    this.failSent(new RoomcastError("disconnected", "the socket was disconnected by the client", { room: this.name }));
    if (wasJoined && this.name) this.host.lifecycle(this, "room:disconnect", "client", this.name);
  }

  /** Ends the room for good: `leave-room`, or a final refusal. */
  close(error: RoomcastError): void {
    if (this.phase === "closed") return;
    const wasJoined = this.phase === "joined";
    this.stopEverything();
    this.phase = "closed";
    this.failSent(error);
    for (const { ack } of this.queue) if (ack !== undefined) this.settle(ack, error);
    this.queue = [];
    for (const ack of this.joinWaiters.splice(0)) invokeSafely(ack, [false, error], "join-room ack");
    // Only `leave-room` closes a joined room; every other end comes after a drop was reported.
    if (wasJoined && this.name) this.host.lifecycle(this, "room:disconnect", "client", this.name);
    this.host.ended(this);
  }

  /** Sends a client frame now if joined, else once joined; `ack` gets the hub's answer. */
  send(
    event: string,
    data: unknown,
    ack?: { resolve: (data: unknown) => void; reject: (e: RoomcastError) => void },
    timeoutMs = this.host.settings.ackTimeoutMs,
  ) {
    const room = this.name;
    if (this.phase === "closed") {
      if (ack) queueMicrotask(() => ack.reject(new RoomcastError("not_joined", `${room} is not joined`, { room })));
      return;
    }
    let id: number | undefined;
    if (ack) {
      const ackId = this.host.nextAckId();
      id = ackId;
      const timer = setTimeout(() => {
        this.queue = this.queue.filter((frame) => frame.ack !== ackId);
        this.settle(ackId, new RoomcastError("timeout", `no answer to "${event}" within ${timeoutMs} ms`, { room }));
      }, timeoutMs);
      this.pending.set(ackId, { ...ack, timer, sent: false });
    }
    const text = JSON.stringify(id === undefined ? { event, data } : { event, data, ack: id });
    if (this.phase === "joined" && this.live) {
      this.transmit({ text, ack: id });
    } else if (this.queue.length >= this.host.settings.maxQueuedFrames) {
      if (id !== undefined) {
        const error = new RoomcastError("queue_full", `too many frames are waiting for ${room ?? "the room"}`, {
          room,
        });
        this.settle(id, error);
      }
    } else {
      this.queue.push({ text, ack: id });
    }
  }

  // ----- attempts ---------------------------------------------------------------------------------

  private async runAttempt(): Promise<void> {
    const generation = ++this.generation;
    this.attemptReason = this.tokenReason;
    this.phase = "connecting";
    this.joinedThisAttempt = false;
    this.attemptToken = undefined;
    this.armWatchdog(generation);
    let token: string;
    try {
      token = await this.host.tokens.get(this.tokenReason, this.host.settings.connectTimeoutMs);
    } catch (error) {
      if (generation !== this.generation) return;
      const failure =
        error instanceof RoomcastError
          ? new RoomcastError(error.code, error.message, { room: this.name, cause: error.cause })
          : new RoomcastError("auth_failed", String(error), { room: this.name });
      this.endAttempt();
      return this.afterFailure(this.generation, { kind: "unknown", error: failure });
    }
    if (generation !== this.generation) return;
    if (this.name === undefined) {
      const sub = readTokenClaims(token)?.sub;
      if (!sub) {
        this.endAttempt();
        const error = new RoomcastError(
          "unauthorized",
          "the token has no readable sub claim, so the personal room is unknown",
        );
        return this.afterFailure(this.generation, { kind: "refused", error });
      }
      this.name = `user-${sub}`;
    }
    this.attemptToken = token;
    // reconnect() may report the previous socket's close synchronously (when that socket has not
    // reached CLOSING yet, as in some browsers' WebSocket): that close is not this attempt's.
    this.ws.reconnect();
    this.live = true;
  }

  private socketUrl(): string {
    if (!this.name || !this.attemptToken) throw new Error("roomcast: no room or token for this attempt");
    this.askedResume = this.cursor.resumeQuery();
    return roomSocketUrl(this.host.base, this.name, { token: this.attemptToken, resume: this.askedResume });
  }

  private armWatchdog(generation: number): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (generation !== this.generation || this.joinedThisAttempt) return;
      if (this.live) {
        this.abandon("connect timeout");
        return;
      }
      this.endAttempt();
      const error = new RoomcastError("timeout", "no token or socket within the connect timeout", { room: this.name });
      void this.afterFailure(this.generation, { kind: "unknown", error });
    }, this.host.settings.connectTimeoutMs);
  }

  /** Drops the current socket as if the network had; its close event runs the usual handling. */
  private abandon(reason: string): void {
    if (!this.live) return;
    this.ws.close(CLIENT_ABANDON_CODE, reason);
    // partysocket reports the close synchronously; if it had no socket to close, do it here.
    if (this.live) this.onSocketEnd(CLIENT_ABANDON_CODE);
  }

  /** The attempt is over: nothing it started may act any more. */
  private endAttempt(): void {
    this.live = false;
    this.generation++;
    this.heartbeat.stop();
    clearTimeout(this.watchdog);
  }

  private onSocketEnd(closeCode: number): void {
    if (!this.live) return;
    const code = this.announcedClose ?? closeCode;
    this.announcedClose = undefined;
    const wasJoined = this.joinedThisAttempt;
    this.endAttempt();
    if (wasJoined) this.afterDrop(code);
    else void this.afterFailure(this.generation, null);
  }

  private afterDrop(code: number): void {
    const room = this.name as string;
    const reason: DisconnectReason = this.lostHeartbeat ? "heartbeat_timeout" : reasonFor(code);
    this.lostHeartbeat = false;
    this.phase = "waiting";
    if (Date.now() - this.joinedAt >= STABLE_AFTER_MS) this.backoff.reset();
    this.failSent(new RoomcastError("disconnected", `the socket to ${room} dropped (${reason})`, { room }));
    this.host.lifecycle(this, "room:disconnect", reason, room);
    if (code === CloseCode.accessRevoked) {
      this.close(new RoomcastError("access_revoked", `access to ${room} was revoked`, { status: 403, room }));
      return;
    }
    if (code === CloseCode.tokenExpired) {
      const final = this.expiredForGood();
      if (final) {
        this.host.lifecycle(this, "room:connect_error", final.withRetry(false));
        this.close(final);
        return;
      }
      // A normal resume: one refresh, no backoff.
      this.refreshed = true;
      this.tokenReason = "token_expired";
      this.retry(0, true);
      return;
    }
    this.retry(this.backoff.next(), false);
  }

  /**
   * The socket closed before `joined`, or no socket could be made. Unless the cause is already
   * known, ask the hub why (POST /access/{room}) and act on its answer.
   */
  private async afterFailure(
    generation: number,
    known: { kind: "unknown" | "refused"; error: RoomcastError } | null,
  ): Promise<void> {
    let verdict: Exclude<AccessVerdict, { kind: "admitted" | "expired" }> | null = known;
    if (!verdict) {
      const room = this.name as string;
      const result = await checkAccess({
        base: this.host.base,
        room,
        token: this.attemptToken ?? "",
        fetch: this.host.settings.fetch,
        timeoutMs: this.host.settings.connectTimeoutMs,
      });
      if (generation !== this.generation || this.phase === "closed" || this.phase === "idle") return;
      if (result.kind === "expired") {
        if (!this.host.tokens.refreshable) {
          verdict = { kind: "refused", error: fixedTokenExpired(room) };
        } else if (!this.refreshed) {
          this.refreshed = true;
          this.tokenReason = "token_expired";
          this.host.lifecycle(this, "room:connect_error", result.error.withRetry(true));
          this.retry(0, true);
          return;
        } else {
          verdict = { kind: "refused", error: result.error };
        }
      } else if (result.kind === "admitted") {
        const message = `the socket to ${room} closed before joining, though the hub admits this token`;
        verdict = { kind: "unknown", error: new RoomcastError("network_error", message, { room }) };
      } else {
        verdict = result;
      }
    }
    if (verdict.kind === "refused") {
      this.host.lifecycle(this, "room:connect_error", verdict.error.withRetry(false));
      this.close(verdict.error);
      return;
    }
    const willRetry = this.canRetry();
    this.host.lifecycle(this, "room:connect_error", verdict.error.withRetry(willRetry));
    if (!willRetry) {
      this.giveUp(verdict.error);
      return;
    }
    let delayMs = this.backoff.next();
    if (verdict.kind === "limited") {
      // 429: never sooner than the hub asked; spread out, so a crowd limited together does not return together.
      const { minReconnectionDelayMs, random } = this.host.settings;
      delayMs = Math.max(delayMs, verdict.retryAfterMs + Math.round(random() * minReconnectionDelayMs));
    }
    this.retry(delayMs, false);
  }

  /**
   * After a 4001: the error that ends the room when a new token cannot help, so that an expired
   * token never storms the hub (accept, close, reconnect, ...). A fixed token cannot be refreshed;
   * a refreshed token that expired again at once was already expired when auth gave it.
   */
  private expiredForGood(): RoomcastError | null {
    const room = this.name as string;
    if (!this.host.tokens.refreshable) return fixedTokenExpired(room);
    if (this.attemptReason === "token_expired" && Date.now() - this.joinedAt < STABLE_AFTER_MS) {
      const message = `auth gave a token for ${room} that had already expired: return a fresh one when reason is "token_expired"`;
      return new RoomcastError("token_expired", message, { status: 401, room });
    }
    return null;
  }

  private canRetry(): boolean {
    const { reconnection, reconnectionAttempts } = this.host.settings;
    return reconnection && this.failures < reconnectionAttempts;
  }

  /** Schedules the next attempt; a resume after token expiry is not limited by the retry settings. */
  private retry(delayMs: number, resume: boolean): void {
    if (!resume && !this.canRetry()) {
      this.giveUp(null);
      return;
    }
    this.failures += 1;
    const attempt = this.failures;
    this.phase = "waiting";
    clearTimeout(this.retryTimer);
    const at = Date.now() + delayMs;
    this.nextAttemptAt = at;
    this.host.lifecycle(this, "room:reconnect_scheduled", { room: this.name, attempt, delayMs, at });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.nextAttemptAt = null;
      if (this.phase !== "waiting") return;
      this.host.lifecycle(this, "room:reconnect_attempt", attempt, { room: this.name, delayMs });
      void this.runAttempt();
    }, delayMs);
  }

  private giveUp(last: RoomcastError | null): void {
    const room = this.name;
    const error = new RoomcastError(
      "reconnect_failed",
      `gave up on ${room ?? "the personal room"} after ${this.failures} attempts`,
      {
        room,
        cause: last ?? undefined,
      },
    );
    this.host.lifecycle(this, "room:reconnect_failed", error);
    this.close(error);
  }

  // ----- frames -----------------------------------------------------------------------------------

  private onMessage(message: unknown): void {
    for (const frame of readServerFrames(message)) {
      if (!this.live) return;
      switch (frame.kind) {
        case "heartbeat-ack":
          this.heartbeat.acknowledge();
          break;
        case "ack":
          this.settle(frame.ack, frame.data);
          break;
        case "ack-error":
          this.settle(frame.ack, new RoomcastError(frame.code, frame.message, { room: this.name }));
          break;
        case "event":
          if (frame.event === "joined") {
            // One joined frame per socket; anything else named so is not the hub's.
            if (this.joinedThisAttempt) break;
            this.onJoined(this.cursor.joined(frame.data, this.askedResume), frame.data);
            break;
          }
          if (!this.joinedThisAttempt) break;
          // Seen already (a replay overlapping what arrived live): the app gets each event once.
          if (!this.cursor.accept(frame.seq, frame.epoch)) break;
          // Events are attributed to the socket's room: one socket, one room.
          this.host.deliver(frame.event, frame.data, this.name as string, frame.publishId);
          if (frame.event === "closing") this.onHubClosing(frame.data);
          break;
      }
    }
  }

  /**
   * The hub announces its closes: the runtime may hold the TCP connection open after a
   * server-initiated close, so waiting for the close event could take seconds. Act now, on the
   * announced code.
   */
  private onHubClosing(data: unknown): void {
    if (!this.live) return;
    const code = isRecord(data) && typeof data.code === "number" ? data.code : CloseCode.normal;
    this.announcedClose = code;
    this.ws.close(CloseCode.normal, "closing announced by the hub");
    if (this.live) this.onSocketEnd(code);
  }

  private onJoined(outcome: JoinOutcome, data: unknown): void {
    const room = this.name as string;
    this.joinedThisAttempt = true;
    this.joinedAt = Date.now();
    this.phase = "joined";
    clearTimeout(this.watchdog);
    const attempts = this.failures;
    this.failures = 0;
    this.refreshed = false;
    this.tokenReason = "connect";
    this.heartbeat.start();
    for (const frame of this.queue.splice(0)) this.transmit(frame);
    for (const ack of this.joinWaiters.splice(0)) invokeSafely(ack, [true], "join-room ack");
    if (attempts > 0) this.host.lifecycle(this, "room:reconnect", attempts, room);
    this.host.lifecycle(this, "room:connect", room);
    this.host.deliver("joined", data, room, undefined);
    // After `connect`: the room is joined again, so a listener's refetch can use it at once.
    if (outcome.kind === "lost" && this.live) this.host.lifecycle(this, "recovery_failed", outcome.info, room);
  }

  private transmit(frame: QueuedFrame): void {
    this.ws.send(frame.text);
    if (frame.ack !== undefined) {
      const entry = this.pending.get(frame.ack);
      if (entry) entry.sent = true;
    }
  }

  /** Completes an ack with data, or with an error. */
  private settle(id: number, outcome: unknown): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (outcome instanceof RoomcastError) entry.reject(outcome);
    else entry.resolve(outcome);
  }

  /** Fails the acks whose frames went out on a socket that is gone: their answers cannot come. */
  private failSent(error: RoomcastError): void {
    for (const [id, entry] of this.pending) if (entry.sent) this.settle(id, error);
  }

  private stopEverything(): void {
    this.endAttempt();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.nextAttemptAt = null;
    this.ws.close(1000, "client closed");
  }
}

function fixedTokenExpired(room: string): RoomcastError {
  const message =
    "the token expired, and a fixed token (auth: a string or { token }) cannot be refreshed: " +
    "pass auth as a function that returns a fresh token, or connect again with a new one";
  return new RoomcastError("token_expired", message, { status: 401, room });
}

function reasonFor(code: number): DisconnectReason {
  switch (code) {
    case CloseCode.tokenExpired:
      return "token_expired";
    case CloseCode.accessRevoked:
      return "access_revoked";
    case CloseCode.policyViolation:
      return "policy_violation";
    case CloseCode.internalError:
      return "server_error";
    case CloseCode.normal:
    case CloseCode.goingAway:
      return "server_closed";
    default:
      return "transport";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
