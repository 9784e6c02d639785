/**
 * GET /ws/{room}: checks everything about an upgrade in the Worker, before any room object is
 * touched (upgrade header, room name, Origin, token, policy), then hands the socket to the room.
 * No middleware that edits headers may run here: a 101 response's headers are immutable.
 */
import type { Context } from "hono";
import { allowedOrigins, type Env } from "../env";
import { ErrorCode } from "../protocol";
import type { ConnectRequest } from "../room/room-object";
import { CONNECT_HEADER } from "../room/room-object";
import { accessTo, parseRoom } from "../room-policy";
import { tokenOf, verifyToken } from "./auth";
import { errorResponse, HttpError } from "./http-error";

export async function handleUpgrade(c: Context<{ Bindings: Env }>): Promise<Response> {
  const request = c.req.raw;
  if (request.method !== "GET") {
    return errorResponse(405, ErrorCode.methodNotAllowed, "open a room with GET and Upgrade: websocket", {
      Allow: "GET",
    });
  }
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    return errorResponse(
      426,
      ErrorCode.upgradeRequired,
      "this endpoint only speaks WebSocket: send Upgrade: websocket",
    );
  }
  const roomName = c.req.param("room") ?? "";
  const room = parseRoom(roomName);
  if (!room) {
    return errorResponse(400, ErrorCode.invalidRoom, "unknown room name: see the room table in README.md");
  }
  const origin = request.headers.get("Origin");
  const origins = allowedOrigins(c.env);
  if (origin !== null && origins.length > 0 && !origins.includes(origin)) {
    return errorResponse(403, ErrorCode.originRefused, "this Origin may not open sockets: add it to ALLOWED_ORIGINS");
  }
  const token = tokenOf(request);
  if (!token) {
    return errorResponse(401, ErrorCode.unauthorized, "a token is required: pass ?token= or Authorization: Bearer");
  }
  let user: Awaited<ReturnType<typeof verifyToken>>;
  try {
    user = await verifyToken(token, c.env);
  } catch (error) {
    if (error instanceof HttpError) return errorResponse(error.status, error.code, error.message);
    throw error;
  }
  const access = accessTo(room, user);
  if (access === "denied") {
    return errorResponse(403, ErrorCode.forbidden, `you may not join ${room.name}`);
  }
  const connect: ConnectRequest = {
    room: room.name,
    userId: user.userId,
    roles: user.roles,
    name: user.name,
    exp: user.exp,
    needsGrant: access === "needs-grant",
  };
  // Only the upgrade headers go on: the token stays in the Worker.
  const headers = new Headers({ Upgrade: "websocket", [CONNECT_HEADER]: JSON.stringify(connect) });
  for (const name of [
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
  ]) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const stub = c.env.ROOMS.getByName(room.name);
  return stub.fetch(new Request(`https://room.internal/${encodeURIComponent(room.name)}`, { headers }));
}
