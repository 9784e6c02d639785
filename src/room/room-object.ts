/**
 * One Durable Object per room. It holds the room's hibernatable WebSockets, its grants and its
 * event history (SQLite), fans out broadcasts, replays what a resuming client missed, answers
 * client frames, and closes sockets whose token expired. Room kinds add features on top
 * (room-features.ts).
 *
 * Every entry point is guarded: a failure is logged with where it happened and answered with an
 * error code, never a stack trace; a failed send closes that one socket with 1011.
 */
import { DurableObject } from "cloudflare:workers";
import { AlarmSchedule } from "../alarm-schedule";
import type { Env } from "../env";
import { log } from "../ops/log";
import { type Metric, type MetricPoint, recordMetric } from "../ops/metrics";
import { hasFingerprint } from "../payload-fingerprint";
import {
  type ClientEvent,
  CloseCode,
  COALESCE,
  ErrorCode,
  type ErrorFrame,
  HEARTBEAT_ACK_FRAME,
  HEARTBEAT_FRAME,
  type JoinedPayload,
  LIMITS,
  type RoomInfo,
} from "../protocol";
import { idleLifetimeMs, parseRoom, type RoomKindName } from "../room-policy";
import { errorResponse } from "../worker/http-error";
import { batchFrame, packFrames } from "./batch-frames";
import { CONNECT_HEADER, decodeConnect } from "./connect-request";
import { FrameBudget } from "./frame-budget";
import { readInboundFrame } from "./inbound-frame";
import { reportArrival, reportDeparture } from "./occupancy-webhooks";
import { ReplayBudget } from "./replay-budget";
import {
  callFeature,
  type FeatureArg,
  type FeatureCall,
  type FeatureResult,
  type RoomApi,
  type RoomDelivery,
  type RoomSummary,
} from "./room-api";
import { type EventHandler, FrameError, type RoomFeature, type RoomHost } from "./room-feature";
import { FEATURES_BY_KIND } from "./room-features";
import { RoomGrants } from "./room-grants";
import { type PublishRecord, RoomHistory } from "./room-history";
import { roomStub } from "./room-stub";
import { closeByHub, closeQuietly } from "./socket-close";
import { countBadFrame, newConnectionId, readState, type SocketState, userTag, writeState } from "./socket-state";
import { WebhookOutbox, type WebhookType } from "./webhook-outbox";

const SCHEMA_VERSION = 6;
/** Replayed frames are packed into batch frames of about this many UTF-16 units. */
const REPLAY_BATCH_UNITS = 64 * 1024;
/** How soon a room whose `afterDelete` failed wakes to try again (ms). */
const AFTER_DELETE_RETRY_MS = 60_000;

export class RoomObject extends DurableObject<Env> implements RoomHost, RoomApi {
  private log: RoomHistory;
  private readonly grants: RoomGrants;
  private readonly webhooks: WebhookOutbox;
  /** False once the storage was deleted (idle lifetime), until the next call migrates it again. */
  private schemaReady: boolean;
  private parsedKind: RoomKindName | null = null;
  private roomName: string | undefined;
  private readonly frameBudget = new FrameBudget();
  private readonly replayBudget = new ReplayBudget();
  /** Frames held back (see BatchFrame and COALESCE), and when the last event was published. */
  private pending: string[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private lastPublishAt = 0;
  /** Until when (ms) the last fan-out's frames are taken to be going out (COALESCE, protocol.ts). */
  private busyUntil = 0;
  /** How long the last timed fan-out took to go out, and the recent time between events (EWMA), ms. */
  private fanOutMs = 0;
  private timingFanOut = false;
  private publishGapMs = Number.POSITIVE_INFINITY;
  private readonly alarms: AlarmSchedule;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Runs on every wake-up: everything here is cheap and synchronous.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_FRAME, HEARTBEAT_ACK_FRAME));
    this.schemaReady = ctx.storage.kv.get("schema") === SCHEMA_VERSION;
    this.log = new RoomHistory(ctx.storage);
    this.grants = new RoomGrants(ctx.storage.sql);
    this.alarms = new AlarmSchedule(ctx.storage);
    this.webhooks = new WebhookOutbox(
      ctx.storage,
      env,
      () => this.kind,
      (at) => this.wakeAt(at),
    );
  }

  /** Creates or upgrades the room's tables; a room that will be deleted when idle gets its alarm. */
  private ensureSchema(): void {
    if (this.schemaReady) return;
    const { storage } = this.ctx;
    // A room that never stored anything (most first wakes) has no earlier layout to upgrade.
    const fresh = storage.kv.get("schema") === undefined;
    // Nor an alarm: one is set only after the tables exist, and deleteStorage deletes it with them.
    if (fresh) this.alarms.storageIsNew();
    RoomGrants.migrate(storage.sql, fresh);
    RoomHistory.migrate(storage, fresh);
    // A first join then reads none of the rows it knows are not there (seq, sizes, keys).
    if (fresh) this.log.startedEmpty();
    WebhookOutbox.migrate(storage.sql);
    // Only this kind's features: the room's kind comes with its name, and never changes.
    for (const feature of this.features) feature.migrate?.(storage, fresh);
    storage.kv.put("schema", SCHEMA_VERSION);
    this.schemaReady = true;
    const lifetime = idleLifetimeMs(this.kind);
    if (lifetime !== null) {
      this.wakeAt(Date.now() + lifetime).catch((error) => {
        log.error({ event: "room.lifetime_alarm_failed", where: "room.ensureSchema", kind: this.kind, error });
      });
    }
  }

  // ----- RoomHost --------------------------------------------------------------------------------

  get storage(): DurableObjectStorage {
    return this.ctx.storage;
  }

  get history(): RoomHistory {
    this.ensureSchema();
    return this.log;
  }

  /** The room's name: every caller reaches a room by its name (`getByName`), and the runtime hands it on. */
  get name(): string {
    // Read from the runtime once it knows it (used several times by every publish and join).
    this.roomName ??= this.ctx.id.name;
    return this.roomName ?? "";
  }

  get kind(): RoomKindName {
    this.parsedKind ??= parseRoom(this.name)?.kind ?? "order";
    return this.parsedKind;
  }

  private get features(): readonly RoomFeature[] {
    return FEATURES_BY_KIND[this.kind];
  }

  sockets(tag?: string): WebSocket[] {
    return this.ctx.getWebSockets(tag);
  }

  /** Sends a frame; a socket that cannot take it is closed with 1011 and the caller goes on. */
  send(ws: WebSocket, frame: string): boolean {
    // A socket the hub already closed is waiting for the client's close frame: nothing to send.
    if (ws.readyState !== WebSocket.OPEN) return false;
    try {
      ws.send(frame);
      return true;
    } catch (error) {
      log.warn({
        event: "room.send_failed",
        where: "room.send",
        kind: this.kind,
        code: CloseCode.internalError,
        error,
      });
      closeQuietly(ws, CloseCode.internalError, "delivery failed");
      return false;
    }
  }

  publish(
    event: string,
    input: unknown,
    options: { except?: WebSocket; key?: { id: string; hash: string } } = {},
  ): number {
    let data = input;
    for (const feature of this.features) if (feature.beforePublish) data = feature.beforePublish(this, event, data);
    // One list of the room's sockets for the whole publish (nothing below awaits): each call
    // builds it anew in the runtime.
    const sockets = this.ctx.getWebSockets();
    // A keyed publish records its audience with the event, for a repeat of the key to answer.
    const audience = options.key ? countOpen(sockets, options.except) : undefined;
    const key = options.key && audience !== undefined ? { ...options.key, delivered: audience } : undefined;
    // Serialized once, for the log and for every socket.
    const { seq, frame } = this.history.append(this.name, event, data, key);
    for (const feature of this.features) feature.afterPublish?.(this, event, data, seq, frame);
    const now = Date.now();
    const gap = now - this.lastPublishAt;
    if (this.lastPublishAt > 0) {
      this.publishGapMs = Number.isFinite(this.publishGapMs) ? 0.8 * this.publishGapMs + 0.2 * gap : gap;
    }
    this.lastPublishAt = now;
    // Held only while the room cannot keep up: its fan-outs take longer than its events are apart.
    const saturated = this.fanOutMs > COALESCE.saturation * this.publishGapMs;
    const hold = gap === 0 || (saturated && now < this.busyUntil);
    if (options.except) {
      this.flush(sockets);
      const sent = this.fanOut(frame, sockets, options.except, true);
      return audience ?? sent;
    }
    this.pending.push(frame);
    // Not held: out now, with anything still waiting (timers run late on a saturated runtime, so
    // the next arrival after the window sends what the window held).
    if (!hold) {
      const sent = this.flush(sockets);
      return audience ?? sent;
    }
    // A burst, or the last fan-out is still going out: what gathers goes as one batch frame per
    // socket (COALESCE in protocol.ts).
    this.flushTimer ??= setTimeout(() => this.flush(), Math.max(COALESCE.burstMs, this.busyUntil - now));
    return audience ?? countOpen(sockets);
  }

  /**
   * Sends what was held back, as one frame per socket; runs before anything else is sent, so
   * order is kept. Returns to how many sockets it went. `sockets`: the room's, when the caller has
   * just listed them.
   */
  private flush(sockets?: WebSocket[]): number {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.pending.length === 0) return 0;
    const frames = this.pending;
    this.pending = [];
    return this.fanOut(batchFrame(this.name, frames), sockets ?? this.ctx.getWebSockets(), undefined, true);
  }

  sendEphemeral(event: string, data: unknown, options: { except?: WebSocket; only?: WebSocket[] } = {}): number {
    this.flush();
    const frame = JSON.stringify({ event, room: this.name, data });
    return this.fanOut(frame, options.only ?? this.ctx.getWebSockets(), options.except);
  }

  private fanOut(frame: string, sockets: WebSocket[], except?: WebSocket, isEvent = false): number {
    let sent = 0;
    for (const ws of sockets) {
      if (ws !== except && this.send(ws, frame)) sent++;
    }
    // Only a big room can fall behind its events (COALESCE): a small one's fan-out is never timed.
    if (isEvent && sockets.length > COALESCE.timedFanOutSockets) this.timeFanOut();
    return sent;
  }

  /**
   * Measures how long the runtime takes to write a fan-out's frames, which it does after this
   * code returns: a zero-delay timer set now fires once the event loop has worked through what
   * is queued before it, the frames included. On a runtime that keeps up that is soon after; on
   * a saturated one it is late, and the room starts coalescing (COALESCE in protocol.ts).
   */
  private timeFanOut(): void {
    const started = Date.now();
    this.busyUntil = started + this.fanOutMs;
    if (this.timingFanOut) return;
    this.timingFanOut = true;
    setTimeout(() => {
      this.timingFanOut = false;
      this.fanOutMs = Math.min(COALESCE.maxHoldMs, Date.now() - started);
      this.busyUntil = started + this.fanOutMs;
    }, 0);
  }

  callRoom<M extends FeatureCall>(room: string, method: M, arg: FeatureArg<M>): Promise<FeatureResult<M>> {
    return callFeature(roomStub(this.env, room), method, arg);
  }

  wakeAt(at: number): Promise<void> {
    return this.alarms.wakeAt(at);
  }

  lastHeartbeat(ws: WebSocket): number | null {
    return this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? null;
  }

  // ----- upgrade ---------------------------------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    try {
      // Held frames are already in the history: send them before a replay includes them.
      this.flush();
      const who = decodeConnect(request.headers.get(CONNECT_HEADER));
      if (!who || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
        return errorResponse(400, ErrorCode.badRequest, "expected a WebSocket upgrade from the hub");
      }
      this.ensureSchema();
      const grant = who.needsGrant ? this.grants.get(who.userId) : null;
      if (who.needsGrant && !grant) {
        return errorResponse(403, ErrorCode.forbidden, `you may not join ${this.name}`);
      }
      const pair = new WebSocketPair();
      const [client, server] = [pair[0], pair[1]];
      const state: SocketState = {
        userId: who.userId,
        roles: who.roles,
        name: who.name,
        exp: who.exp,
        viaGrant: who.needsGrant,
        connectionId: newConnectionId(),
        connectedAt: Date.now(),
      };
      this.ctx.acceptWebSocket(server, [userTag(who.userId)]);
      writeState(server, state);
      this.metric("connection_opened");
      if (this.webhooks.enabled) reportArrival(this, state);

      // No await until the joined frame and the replay are out: a broadcast running in between
      // would reach this socket before the events it missed.
      // A grant-admitted socket replays only what was published since its grant.
      const replay =
        who.since !== undefined && who.epoch
          ? this.log.replay(who.since, who.epoch, grant?.seq ?? 0, (bytes) =>
              this.replayBudget.take(who.userId, bytes, Date.now()),
            )
          : null;
      const joined: JoinedPayload = { room: this.name, userId: who.userId, seq: this.log.seq, epoch: this.log.epoch };
      if (replay) joined.recovered = replay.recovered;
      if (replay && !replay.recovered) joined.notRecovered = replay.reason;
      if (replay) {
        const code = replay.recovered ? "recovered" : replay.reason;
        this.metric("replay", { code, value: replay.recovered ? replay.frames.length : 0 });
      }
      this.send(server, JSON.stringify({ event: "joined", room: this.name, data: joined }));
      if (replay?.recovered) {
        for (const text of packFrames(this.name, replay.frames, REPLAY_BATCH_UNITS)) this.send(server, text);
      }

      for (const feature of this.features) await feature.onJoin?.(this, server, state, replay?.recovered === true);
      await this.wakeAt(who.exp * 1000);
      return new Response(null, { status: 101, webSocket: client });
    } catch (error) {
      log.error({ event: "room.accept_failed", where: "room.fetch", kind: this.kind, code: ErrorCode.internal, error });
      return errorResponse(500, ErrorCode.internal, "the room could not accept the socket");
    }
  }

  // ----- RPC from the Worker ---------------------------------------------------------------------

  broadcast(event: string, data: unknown, id?: string, hash = ""): RoomDelivery | Promise<RoomDelivery> {
    this.ensureSchema();
    const prior = id ? this.history.findPublish(id) : null;
    if (prior) {
      // Another fingerprint may still be the same payload in another kind (around a deploy): the
      // room compares what it holds in the stored kind. A repeat publishes nothing either way.
      const same = prior.hash === hash || hasFingerprint(prior.hash, JSON.stringify([event, data]));
      return typeof same === "boolean" ? this.repeatOf(prior, same) : same.then((s) => this.repeatOf(prior, s));
    }
    const delivered = this.publish(event, data, id ? { key: { id, hash } } : {});
    this.metric("publish", { value: delivered });
    return { delivered };
  }

  /** What a repeated publish id answers: the first count for the same payload, else a conflict. */
  private repeatOf(prior: PublishRecord, same: boolean): RoomDelivery {
    if (!same) {
      this.metric("publish", { code: "conflict" });
      return { conflict: true };
    }
    this.metric("publish", { code: "duplicate" });
    return { delivered: prior.delivered, duplicate: true };
  }

  grant(userId: string): void {
    this.ensureSchema();
    this.grants.add(userId, this.log.seq, Date.now());
  }

  revoke(userId: string): number {
    this.ensureSchema();
    this.flush();
    this.grants.remove(userId);
    let closed = 0;
    for (const ws of this.ctx.getWebSockets(userTag(userId))) {
      if (readState(ws)?.viaGrant) {
        closeByHub(ws, CloseCode.accessRevoked, "access revoked");
        closed++;
      }
    }
    return closed;
  }

  async runFeature(method: FeatureCall, arg: unknown): Promise<unknown> {
    this.ensureSchema();
    for (const feature of this.features) {
      const handler = feature.rpc?.[method] as ((room: RoomHost, arg: unknown) => unknown) | undefined;
      if (handler) return handler(this, arg);
    }
    throw new Error(`${this.name} has no feature method ${method}`);
  }

  isGranted(userId: string): boolean {
    this.ensureSchema();
    return this.grants.get(userId) !== null;
  }

  summary(): RoomSummary {
    const members = this.ctx.getWebSockets().length;
    // A room that was never used (or was deleted when idle) stores nothing: asking creates nothing.
    if (!this.schemaReady && this.ctx.storage.kv.get("schema") === undefined) {
      return { room: this.name, members, seq: 0, epoch: null, lastEventAt: null, grants: 0 };
    }
    this.ensureSchema();
    const last = this.log.lastEventAt();
    return {
      room: this.name,
      members,
      seq: this.log.seq,
      epoch: this.log.epoch,
      lastEventAt: last === null ? null : new Date(last).toISOString(),
      grants: this.grants.count(),
    };
  }

  // ----- socket events ---------------------------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    let ack: number | undefined;
    try {
      // Frames still in flight after the hub closed this socket are dropped unanswered.
      if (ws.readyState !== WebSocket.OPEN) return;
      const state = readState(ws);
      if (!state) return closeByHub(ws, CloseCode.internalError, "socket state lost");
      const now = Date.now();
      if (state.exp * 1000 <= now) return closeByHub(ws, CloseCode.tokenExpired, "token expired");
      if (!this.frameBudget.take(ws, now)) {
        const limit = `at most ${LIMITS.framesPerSecond} frames per second (bursts of ${LIMITS.frameBurst})`;
        this.refuseFrame(ws, ErrorCode.rateLimited, `${limit}: this frame was dropped`);
        if (countBadFrame(ws, state, now)) closeByHub(ws, CloseCode.policyViolation, "too many frames");
        return;
      }
      const frame = readInboundFrame(message);
      ack = frame.ack;
      if (!frame.ok) {
        this.refuseFrame(ws, frame.code, frame.message, frame.ack);
        if (countBadFrame(ws, state, now)) closeByHub(ws, CloseCode.policyViolation, "too many bad frames");
        return;
      }
      const result = await this.handle(frame.event, frame.data, ws, state);
      this.flush();
      if (frame.ack !== undefined) this.send(ws, JSON.stringify({ event: "ack", ack: frame.ack, data: result }));
    } catch (error) {
      if (error instanceof FrameError) return this.refuseFrame(ws, error.code, error.message, ack);
      log.error({
        event: "room.frame_failed",
        where: "room.webSocketMessage",
        kind: this.kind,
        code: ErrorCode.internal,
        error,
      });
      this.refuseFrame(ws, ErrorCode.internal, "the hub could not handle this frame", ack);
    }
  }

  private async handle(event: ClientEvent, data: unknown, ws: WebSocket, state: SocketState): Promise<unknown> {
    if (event === "room:info") return this.info(state);
    for (const feature of this.features) {
      const handler = feature.handlers?.[event] as EventHandler<ClientEvent> | undefined;
      if (handler) return handler(this, ws, state, data as never);
    }
    throw new FrameError(ErrorCode.unknownEvent, `${event} is not available in ${this.name}`);
  }

  private info(state: SocketState): RoomInfo {
    return {
      room: this.name,
      members: this.ctx.getWebSockets().length,
      you: { userId: state.userId, name: state.name, roles: state.roles },
    };
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      // Complete the close handshake; 1005/1006 are reserved and cannot be echoed.
      closeQuietly(ws, code === 1005 || code === 1006 ? CloseCode.normal : code, reason);
      this.metric("connection_closed", { code });
      await this.left(ws);
    } catch (error) {
      log.error({ event: "room.close_failed", where: "room.webSocketClose", kind: this.kind, error });
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    try {
      log.warn({ event: "room.socket_error", where: "room.webSocketError", kind: this.kind, error });
      closeQuietly(ws, CloseCode.internalError, "socket error");
      this.metric("connection_closed", { code: "error" });
      await this.left(ws);
    } catch (failure) {
      log.error({ event: "room.socket_error_failed", where: "room.webSocketError", kind: this.kind, error: failure });
    }
  }

  private async left(ws: WebSocket): Promise<void> {
    const state = readState(ws);
    if (!state) return;
    if (this.webhooks.enabled) reportDeparture(this, state);
    for (const feature of this.features) await feature.onLeave?.(this, ws, state);
  }

  notifyBackend(type: WebhookType, data: Record<string, unknown>): void {
    this.webhooks.queue(this.name, type, data);
  }

  // ----- alarm: token expiry and features --------------------------------------------------------

  override async alarm(): Promise<void> {
    try {
      // The alarm that woke us is spent; whatever is set below (or by a feature) replaces it.
      this.alarms.cleared();
      this.flush();
      const now = Date.now();
      let next = Number.POSITIVE_INFINITY;
      for (const ws of this.ctx.getWebSockets()) {
        const state = readState(ws);
        if (!state) continue;
        if (state.exp * 1000 <= now) closeByHub(ws, CloseCode.tokenExpired, "token expired");
        else next = Math.min(next, state.exp * 1000);
      }
      for (const feature of this.features) {
        const wanted = await feature.onAlarm?.(this, now);
        if (wanted !== undefined && wanted !== null) next = Math.min(next, wanted);
      }
      await this.webhooks.sendDue();
      const webhookDue = this.webhooks.nextDue();
      if (webhookDue !== null) next = Math.min(next, webhookDue);
      const idleEnd = this.idleLifetimeEnd(now);
      if (idleEnd !== null && idleEnd <= now) return await this.deleteStorage(now);
      if (idleEnd !== null) next = Math.min(next, idleEnd);
      if (Number.isFinite(next)) await this.wakeAt(next);
    } catch (error) {
      this.alarms.forget(); // the platform retries it: read it again next time
      log.error({ event: "room.alarm_failed", where: "room.alarm", kind: this.kind, error });
      throw error; // let the platform retry the alarm
    }
  }

  /**
   * When the room's idle lifetime (`idleDays` in room-policy.ts) ends: that long after its last
   * activity, read from storage (the last event, the last grant), or from now while sockets are
   * connected. Null for kinds that are kept.
   */
  private idleLifetimeEnd(now: number): number | null {
    const lifetime = idleLifetimeMs(this.kind);
    if (lifetime === null) return null;
    if (this.ctx.getWebSockets().length > 0) return now + lifetime;
    this.ensureSchema();
    const lastActive = Math.max(this.log.lastEventAt() ?? 0, this.grants.lastGrantAt() ?? 0);
    return lastActive + lifetime;
  }

  /**
   * Deletes everything the room stored: its history, grants and features' tables, then lets each
   * feature act on it (`afterDelete`). The next call creates a fresh room with a new epoch, so a
   * client resuming gets `recovered: false`.
   */
  private async deleteStorage(now: number): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.alarms.cleared();
    this.schemaReady = false;
    this.log = new RoomHistory(this.ctx.storage);
    for (const feature of this.features) {
      try {
        await feature.afterDelete?.(this, now);
      } catch (error) {
        // The room is empty now: when it wakes, it is still idle and deletes (and calls) again.
        log.warn({ event: "room.after_delete_failed", where: "room.deleteStorage", kind: this.kind, error });
        await this.wakeAt(now + AFTER_DELETE_RETRY_MS);
      }
    }
  }

  /** Answers a frame the room refused with an error frame, and counts it. */
  private refuseFrame(ws: WebSocket, code: ErrorCode, message: string, ack?: number): void {
    this.metric("frame_refused", { code });
    this.sendError(ws, code, message, ack);
  }

  private metric(metric: Metric, point: Omit<MetricPoint, "kind"> = {}): void {
    recordMetric(this.env.METRICS, metric, { kind: this.kind, ...point });
  }

  private sendError(ws: WebSocket, code: ErrorCode, message: string, ack?: number): void {
    const frame: ErrorFrame = { event: "error", data: { code, message } };
    if (ack !== undefined) frame.ack = ack;
    this.send(ws, JSON.stringify(frame));
  }
}

/** How many of `sockets` are open, `except` left out. */
function countOpen(sockets: WebSocket[], except?: WebSocket): number {
  let open = 0;
  for (const ws of sockets) if (ws !== except && ws.readyState === WebSocket.OPEN) open++;
  return open;
}
