/**
 * GET /ws/{room}: checks everything about an upgrade in the Worker, before any room object is
 * touched, then hands the socket to the room. POST /access/{room} answers the same question
 * without a socket.
 * No middleware that edits headers may run here: a 101 response's headers are immutable.
 */
import type { Context } from "hono";
import type { Env } from "../env";
import { recordMetric } from "../ops/metrics";
import { ErrorCode } from "../protocol";
import { CONNECT_HEADER, encodeConnect } from "../room/connect-request";
import { roomStub } from "../room/room-stub";
import { parseRoom } from "../room-policy";
import { admit, forbiddenWithoutGrant, resumeOf } from "./admission";
import { tokenOf } from "./auth";
import { HttpError } from "./http-error";
import { enforce, enforceIp } from "./rate-limits";
import { readTextBody } from "./read-body";

type HubContext = Context<{ Bindings: Env }>;

const FORWARDED_HEADERS = [
  "Sec-WebSocket-Key",
  "Sec-WebSocket-Version",
  "Sec-WebSocket-Protocol",
  "Sec-WebSocket-Extensions",
];

/**
 * GET /ws/{room}: the Worker answers it past the router (index.ts) when the room segment is plain,
 * and through it otherwise; both end here. `roomName`: the path's room segment, decoded.
 */
export async function handleUpgrade(request: Request, env: Env, roomName: string): Promise<Response> {
  try {
    return await upgrade(request, env, roomName);
  } catch (error) {
    if (error instanceof HttpError) {
      const kind = parseRoom(roomName)?.kind ?? "unknown";
      recordMetric(env.METRICS, "upgrade_refused", { kind, code: error.code });
    }
    throw error;
  }
}

async function upgrade(request: Request, env: Env, roomName: string): Promise<Response> {
  if (request.method !== "GET") {
    throw new HttpError(405, ErrorCode.methodNotAllowed, "open a room with GET and Upgrade: websocket", {
      Allow: "GET",
    });
  }
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    throw new HttpError(426, ErrorCode.upgradeRequired, "this endpoint only speaks WebSocket: send Upgrade: websocket");
  }
  await enforceIp(request, env, "UPGRADES_PER_IP", "connection attempts from this address");
  const url = new URL(request.url);
  const connect = await admit(env, roomName, request.headers.get("Origin"), tokenOf(request, url));
  Object.assign(connect, resumeOf(url));
  const stub = roomStub(env, connect.room);
  // The per-user budget counts connections the hub accepts: a join the room would refuse for want
  // of a grant is refused before it spends any (the room checks the grant again as it accepts).
  if (connect.needsGrant && !(await stub.isGranted(connect.userId))) throw forbiddenWithoutGrant(connect.room);
  await enforce(env, "UPGRADES_PER_USER", connect.userId, "connections for this user");
  // Only the upgrade headers go on: the token stays in the Worker.
  const headers = new Headers({ Upgrade: "websocket", [CONNECT_HEADER]: encodeConnect(connect) });
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return stub.fetch(new Request("https://room.internal/connect", { headers }));
}

/**
 * POST /access/{room} with the token as a text/plain body (a CORS-simple request, so the token
 * never sits in a URL): 200 when an upgrade would be accepted, else the upgrade's exact error.
 * Readable from any origin (the CORS headers are added by the route's middleware in index.ts, to
 * refusals too): it carries no credentials and tells a token's holder only what the token already
 * allows.
 */
export async function handleAccessCheck(c: HubContext): Promise<Response> {
  await enforceIp(c.req.raw, c.env, "UPGRADES_PER_IP", "connection attempts from this address");
  const origin = c.req.header("Origin") ?? null;
  const token = (await readTextBody(c.req.raw, 8 * 1024)).trim() || tokenOf(c.req.raw);
  const connect = await admit(c.env, c.req.param("room") ?? "", origin, token);
  // Not counted in the per-user budget, which counts accepted connections only (so it cannot say
  // whether that budget refused an upgrade: a client treats that one as a failure to retry).
  if (connect.needsGrant && !(await roomStub(c.env, connect.room).isGranted(connect.userId))) {
    throw forbiddenWithoutGrant(connect.room);
  }
  return Response.json({ ok: true, room: connect.room, userId: connect.userId });
}
