/**
 * The internal API for REST backends: POST /internal/broadcast, and
 * PUT/DELETE /internal/rooms/{room}/members/{userId} to grant and revoke access.
 * Every call has passed requireBroadcastSecret; every body is validated before any room is touched.
 */
import { Hono } from "hono";
import * as v from "valibot";
import type { Env } from "../env";
import { log } from "../ops/log";
import { broadcastBodySchema, grantBodySchema } from "../payload-schemas";
import { presenceStub } from "../presence/presence-config";
import {
  type BroadcastResult,
  describeIssue,
  ErrorCode,
  ID_PATTERN,
  type LocationHint,
  type PublishableEvent,
} from "../protocol";
import "../schema-messages";
import { publishableEvent, publishableEventNames, roomPattern } from "../publishable-events";
import { roomStub } from "../room/room-stub";
import { isGrantable, type ParsedRoom, parseRoom } from "../room-policy";
import { errorResponse, HttpError } from "./http-error";
import { requireBroadcastSecret } from "./internal-auth";
import { openApiDocument } from "./openapi";
import { enforceIp } from "./rate-limits";
import { readJsonBody, readOptionalJsonBody } from "./read-body";
import { renderError } from "./render-error";

export const internalApi = new Hono<{ Bindings: Env }>();
// Its own error rendering, so that it answers the same whether mounted in the hub or called directly (dev-routes.ts).
internalApi.onError(renderError);

// Limited before the secret is checked, so that guessing it is limited too.
internalApi.use("*", async (c, next) => {
  await enforceIp(c, "INTERNAL_PER_IP", "internal API calls from this address");
  await next();
});
internalApi.use("*", requireBroadcastSecret);

export interface ValidBroadcast {
  id?: string;
  locationHint?: LocationHint;
  rooms: ParsedRoom[];
  event: PublishableEvent;
  data: unknown;
}

/**
 * Validates a broadcast body; throws a 400 naming the field that is wrong, an event that is
 * neither built in nor declared in src/app-events.ts, or a room its declaration does not allow.
 */
export function validateBroadcast(body: unknown): ValidBroadcast {
  const parsed = v.safeParse(broadcastBodySchema, body);
  if (!parsed.success) throw new HttpError(400, ErrorCode.badRequest, describeIssue(parsed.issues));
  const { event, data } = parsed.output;
  const rooms: ParsedRoom[] = [];
  const seen = new Set<string>();
  for (const [index, name] of parsed.output.rooms.entries()) {
    const room = parseRoom(name);
    if (!room) throw new HttpError(400, ErrorCode.invalidRoom, `rooms.${index}: unknown room name`);
    if (!seen.has(room.name)) rooms.push(room);
    seen.add(room.name);
  }
  const declaration = publishableEvent(event);
  if (!declaration) {
    const known = publishableEventNames().join(", ");
    throw new HttpError(
      400,
      ErrorCode.badRequest,
      `event: "${event.slice(0, 100)}" is not an event backends may send (${known}); declare your own in src/app-events.ts`,
    );
  }
  const { rooms: allowed } = declaration;
  if (allowed !== "any") {
    const index = rooms.findIndex((room) => !allowed.includes(room.kind));
    const room = rooms[index];
    if (room) {
      const where = allowed.map(roomPattern).join(", ");
      throw new HttpError(
        400,
        ErrorCode.badRequest,
        `rooms.${index}: ${event} may be sent only to ${where} (its rooms in src/app-events.ts), not to ${room.name}`,
      );
    }
  }
  const payload = v.safeParse(declaration.schema, data);
  if (!payload.success) {
    throw new HttpError(400, ErrorCode.badRequest, `data.${describeIssue(payload.issues)}`);
  }
  let id = parsed.output.id;
  let published = payload.output;
  if (event === "notification") ({ id, data: published } = notificationIds(id, published as { id?: string }));
  return { id, locationHint: parsed.output.locationHint, rooms, event: event as PublishableEvent, data: published };
}

/**
 * A notification has one id: what `notification:read` takes and what the publish is deduplicated
 * by. Given as the publish `id` or as `data.id` (or both, equal), it is set on both.
 */
function notificationIds(id: string | undefined, data: { id?: string }): { id?: string; data: unknown } {
  if (id !== undefined && data.id !== undefined && id !== data.id) {
    throw new HttpError(
      400,
      ErrorCode.badRequest,
      `id: a notification's id is its publish id; give one of id and data.id, or the same value (got "${id}" and "${data.id}")`,
    );
  }
  const shared = id ?? data.id;
  return shared === undefined ? { data } : { id: shared, data: { ...data, id: shared } };
}

internalApi.post("/broadcast", async (c) => {
  const { id, locationHint, rooms, event, data } = validateBroadcast(await readJsonBody(c.req.raw));
  // Each room remembers the idempotency key with a hash of what it delivered: a retry after a
  // partial failure delivers only to the rooms that missed it, and a reused key with another
  // payload is a conflict rather than a silent drop.
  const hash = id ? await sha256(JSON.stringify([event, data])) : "";
  const results = await Promise.allSettled(
    rooms.map((room) => roomStub(c.env, room.name, locationHint).broadcast(event, data, id, hash)),
  );
  const delivered: BroadcastResult["delivered"] = {};
  const failed: string[] = [];
  const conflicts: string[] = [];
  results.forEach((result, index) => {
    const name = rooms[index]?.name ?? "";
    if (result.status === "rejected") {
      failed.push(name);
      log.error({
        event: "broadcast.room_failed",
        where: "internal.broadcast",
        kind: rooms[index]?.kind,
        error: result.reason,
      });
    } else if ("conflict" in result.value) conflicts.push(name);
    else delivered[name] = result.value.delivered;
  });
  if (conflicts.length > 0) {
    const message = `id ${id} was already used with another event or payload in: ${conflicts.join(", ")}`;
    return c.json({ error: { code: ErrorCode.idempotencyConflict, message }, delivered }, 409);
  }
  if (failed.length > 0) {
    const message = `delivery failed for: ${failed.join(", ")}; retry with the same id to reach only those`;
    return c.json({ error: { code: ErrorCode.internal, message }, delivered }, 502);
  }
  return c.json({ delivered } satisfies BroadcastResult);
});

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

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
