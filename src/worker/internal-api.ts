/**
 * The internal API for REST backends: POST /internal/broadcast, and
 * PUT/DELETE /internal/rooms/{room}/members/{userId} to grant and revoke access.
 * Every call has passed checkInternalCaller (internal-auth.ts); every body is validated before any
 * room is touched.
 */
import { Hono } from "hono";
import * as v from "valibot";
import type { Env } from "../env";
import { grantBodySchema } from "../payload-schemas";
import { presenceStub } from "../presence/presence-config";
import { describeIssue, ErrorCode, ID_PATTERN } from "../protocol";
import "../schema-messages";
import { roomStub } from "../room/room-stub";
import { isGrantable, type ParsedRoom, parseRoom } from "../room-policy";
import { handleBroadcast } from "./broadcast-route";
import { errorResponse, HttpError } from "./http-error";
import { requireInternalCaller } from "./internal-auth";
import { openApiDocument } from "./openapi";
import { readOptionalJsonBody } from "./read-body";
import { renderError } from "./render-error";

export const internalApi = new Hono<{ Bindings: Env }>();
// Its own error rendering, so that it answers the same whether mounted in the hub or called directly (dev-routes.ts).
internalApi.onError(renderError);

internalApi.use("*", requireInternalCaller);

// The Worker answers this one before its router (index.ts); mounted here too, for the dev relay.
internalApi.post("/broadcast", (c) => handleBroadcast(c.req.raw, c.env));

function memberTarget(roomName: string, userId: string): { room: ParsedRoom; userId: string } {
  const room = parseRoom(roomName);
  if (!room) throw new HttpError(400, ErrorCode.invalidRoom, "unknown room name");
  if (!isGrantable(room)) {
    throw new HttpError(400, ErrorCode.notGrantable, `${room.name} admits by role only; grants apply to order rooms`);
  }
  if (!ID_PATTERN.test(userId)) {
    throw new HttpError(400, ErrorCode.badRequest, "userId must be 1-64 characters of A-Z, a-z, 0-9, _ or -");
  }
  return { room, userId };
}

internalApi.put("/rooms/:room/members/:userId", async (c) => {
  const { room, userId } = memberTarget(c.req.param("room"), c.req.param("userId"));
  const body = await readOptionalJsonBody(c.req.raw);
  const parsed = v.safeParse(grantBodySchema, body ?? {});
  if (!parsed.success) throw new HttpError(400, ErrorCode.badRequest, describeIssue(parsed.issues));
  await roomStub(c.env, room.name, parsed.output.locationHint).grant(userId);
  return c.json({ room: room.name, userId, granted: true });
});

internalApi.delete("/rooms/:room/members/:userId", async (c) => {
  const { room, userId } = memberTarget(c.req.param("room"), c.req.param("userId"));
  const closed = await roomStub(c.env, room.name).revoke(userId);
  return c.json({ room: room.name, userId, granted: false, closed });
});

/** A room's live counts: members connected now, its seq and epoch, its last event, its grants. */
internalApi.get("/rooms/:room", async (c) => {
  const room = parseRoom(c.req.param("room"));
  if (!room) throw new HttpError(400, ErrorCode.invalidRoom, "unknown room name: see the room table in README.md");
  return c.json(await roomStub(c.env, room.name).summary());
});

/**
 * Totals the hub knows cheaply: who is online (presence keeps every personal-room connection).
 * Not here, because the hub keeps no index of its rooms (each is its own object, found by name):
 * how many rooms exist or are occupied, and sockets outside personal rooms; the metrics dataset
 * counts those (README "Metrics").
 */
internalApi.get("/stats", async (c) => {
  const { update } = await presenceStub(c.env).liveUsers();
  return c.json({ usersOnline: update.total, connections: update.connections, byRole: update.byRole });
});

/** The live-users list the admin dashboard shows: most recently active users first, with totals. */
internalApi.get("/presence", async (c) => {
  const { update } = await presenceStub(c.env).liveUsers();
  return c.json(update);
});

/** The OpenAPI 3.1 document of this API and of the access check, from the schemas above. */
internalApi.get("/openapi.json", (c) => c.json(openApiDocument()));

internalApi.all("*", () => errorResponse(404, ErrorCode.notFound, "no such internal endpoint"));
