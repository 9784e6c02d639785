/**
 * One Durable Object per room. It holds the room's hibernatable WebSockets, its grants (SQLite),
 * fans out broadcasts, answers client frames, and closes sockets whose token expired.
 *
 * Every entry point is guarded: a failure is logged with where it happened and answered with an
 * error code, never a stack trace; a failed send closes that one socket with 1011.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import {
  CloseCode,
  ErrorCode,
  type ErrorFrame,
  HEARTBEAT_ACK_FRAME,
  HEARTBEAT_FRAME,
  type JoinedPayload,
  type RoomInfo,
} from "../protocol";
import { readInboundFrame } from "./inbound-frame";
import { countBadFrame, type SocketState, stateOf, userTag } from "./socket-state";

/** What the Worker hands the room with an upgrade, after it verified the token and the policy. */
export interface ConnectRequest {
  room: string;
  userId: string;
  roles: string[];
  name?: string;
  exp: number;
  /** Only a stored grant can admit this user. */
  needsGrant: boolean;
}
export const CONNECT_HEADER = "X-Roomcast-Connect";

const SCHEMA_VERSION = 1;

export class RoomObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Runs on every wake-up: both calls are cheap and synchronous.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_FRAME, HEARTBEAT_ACK_FRAME));
    if (ctx.storage.kv.get("schema") !== SCHEMA_VERSION) this.migrate();
  }

  private migrate(): void {
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS grants (user_id TEXT PRIMARY KEY, granted_at INTEGER NOT NULL)",
    );
    this.ctx.storage.kv.put("schema", SCHEMA_VERSION);
  }

  /** The room's name, learnt from the first call that named it. */
  private get room(): string {
    return (this.ctx.storage.kv.get("room") as string | undefined) ?? "";
  }

  private rememberRoom(room: string): void {
    if (this.ctx.storage.kv.get("room") !== room) this.ctx.storage.kv.put("room", room);
  }

  // ----- upgrade ---------------------------------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    try {
      const header = request.headers.get(CONNECT_HEADER);
      if (!header || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
        return Response.json(
          { error: { code: ErrorCode.badRequest, message: "expected a WebSocket upgrade from the hub" } },
          { status: 400 },
        );
      }
      const who = JSON.parse(header) as ConnectRequest;
      this.rememberRoom(who.room);
      if (who.needsGrant && !this.isGranted(who.userId)) {
        return Response.json(
          { error: { code: ErrorCode.forbidden, message: `you may not join ${who.room}` } },
          { status: 403 },
        );
      }
      const pair = new WebSocketPair();
      const [client, server] = [pair[0], pair[1]];
      const state: SocketState = { u: who.userId, r: who.roles, e: who.exp };
      if (who.name) state.n = who.name;
      if (who.needsGrant) state.g = 1;
      this.ctx.acceptWebSocket(server, [userTag(who.userId)]);
      server.serializeAttachment(state);
      await this.scheduleExpiry(who.exp);
      const joined: JoinedPayload = { room: who.room, userId: who.userId };
      this.send(server, JSON.stringify({ event: "joined", room: who.room, data: joined }));
      return new Response(null, { status: 101, webSocket: client });
    } catch (error) {
      console.error("room.fetch failed", describe(error));
      return Response.json(
        { error: { code: ErrorCode.internal, message: "the room could not accept the socket" } },
        { status: 500 },
      );
    }
  }

  // ----- RPC from the Worker ---------------------------------------------------------------------

  /** Sends one event to every socket of the room; returns how many sockets it was sent to. */
  async broadcast(room: string, event: string, data: unknown): Promise<number> {
    this.rememberRoom(room);
    // Serialized once per broadcast, never per socket.
    const frame = JSON.stringify({ event, room, data });
    let sent = 0;
    for (const ws of this.ctx.getWebSockets()) {
      if (this.send(ws, frame)) sent++;
    }
    return sent;
  }

  grant(room: string, userId: string): void {
    this.rememberRoom(room);
    this.ctx.storage.sql.exec(
      "INSERT INTO grants (user_id, granted_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
      userId,
      Date.now(),
    );
  }

  /** Removes a grant and closes the sockets it admitted (4003); returns how many were closed. */
  revoke(room: string, userId: string): number {
    this.rememberRoom(room);
    this.ctx.storage.sql.exec("DELETE FROM grants WHERE user_id = ?", userId);
    let closed = 0;
    for (const ws of this.ctx.getWebSockets(userTag(userId))) {
      if (stateOf(ws)?.g) {
        closeByHub(ws, CloseCode.accessRevoked, "access revoked");
        closed++;
      }
    }
    return closed;
  }

  isGranted(userId: string): boolean {
    return this.ctx.storage.sql.exec("SELECT 1 FROM grants WHERE user_id = ?", userId).toArray().length > 0;
  }

  // ----- socket events ---------------------------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      const state = stateOf(ws);
      if (!state) return closeByHub(ws, CloseCode.internalError, "socket state lost");
      const now = Date.now();
      if (state.e * 1000 <= now) return closeByHub(ws, CloseCode.tokenExpired, "token expired");
      const frame = readInboundFrame(message);
      if (!frame.ok) {
        this.sendError(ws, frame.code, frame.message, frame.ack);
        if (countBadFrame(ws, state, now)) closeByHub(ws, CloseCode.policyViolation, "too many bad frames");
        return;
      }
      const result = this.handle(frame.event, frame.data, state);
      if (frame.ack !== undefined) this.send(ws, JSON.stringify({ event: "ack", ack: frame.ack, data: result }));
    } catch (error) {
      console.error("room.webSocketMessage failed", this.room, describe(error));
      this.sendError(ws, ErrorCode.internal, "the hub could not handle this frame");
    }
  }

  private handle(event: "room:info", _data: unknown, state: SocketState): RoomInfo {
    switch (event) {
      case "room:info":
        return {
          room: this.room,
          members: this.ctx.getWebSockets().length,
          you: { userId: state.u, name: state.n, roles: state.r },
        };
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      // Complete the close handshake; 1005/1006 are reserved and cannot be echoed.
      closeQuietly(ws, code === 1005 || code === 1006 ? CloseCode.normal : code, reason);
    } catch (error) {
      console.error("room.webSocketClose failed", this.room, describe(error));
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    console.warn("room.webSocketError", this.room, describe(error));
    closeByHub(ws, CloseCode.internalError, "socket error");
  }

  // ----- token expiry ----------------------------------------------------------------------------

  /** Keeps the alarm at the earliest token expiry of the room's sockets. */
  private async scheduleExpiry(exp: number): Promise<void> {
    const at = exp * 1000;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    try {
      const now = Date.now();
      let next = Number.POSITIVE_INFINITY;
      for (const ws of this.ctx.getWebSockets()) {
        const state = stateOf(ws);
        if (!state) continue;
        if (state.e * 1000 <= now) closeByHub(ws, CloseCode.tokenExpired, "token expired");
        else next = Math.min(next, state.e * 1000);
      }
      if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
    } catch (error) {
      console.error("room.alarm failed", this.room, describe(error));
      throw error; // let the platform retry the alarm
    }
  }

  // ----- sending ---------------------------------------------------------------------------------

  /** Sends a frame; a socket that cannot take it is closed with 1011 and the caller goes on. */
  private send(ws: WebSocket, frame: string): boolean {
    try {
      ws.send(frame);
      return true;
    } catch (error) {
      console.warn("room.send failed; closing that socket", this.room, describe(error));
      closeQuietly(ws, CloseCode.internalError, "delivery failed");
      return false;
    }
  }

  private sendError(ws: WebSocket, code: ErrorCode, message: string, ack?: number): void {
    const frame: ErrorFrame = { event: "error", data: { code, message } };
    if (ack !== undefined) frame.ack = ack;
    this.send(ws, JSON.stringify(frame));
  }
}

/**
 * Closes a socket the hub decided to close. A `closing` frame goes first: the runtime leaves the
 * TCP connection open after a server-initiated close handshake, and clients would otherwise only
 * see the close when their own timeout ends (about 10 s in Node and browsers).
 */
function closeByHub(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.send(JSON.stringify({ event: "closing", data: { code, reason } }));
  } catch {
    // The socket is already gone; closing below is all that is left.
  }
  closeQuietly(ws, code, reason);
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed or closing: nothing left to do for this socket.
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
