/**
 * POST /internal/broadcast: a backend's event to one or more rooms. The caller was admitted by
 * `checkInternalCaller` (internal-auth.ts); the body is validated before any room is touched.
 * Plain `Request` in, `Response` out, so that the Worker can answer the hot path of every publish
 * without the router (index.ts) and the internal API's Hono app can mount it as it is.
 */
import * as v from "valibot";
import type { Env } from "../env";
import { log } from "../ops/log";
import { broadcastBodySchema } from "../payload-schemas";
import { type BroadcastResult, describeIssue, ErrorCode, type LocationHint, type PublishableEvent } from "../protocol";
import "../schema-messages";
import { payloadFingerprint } from "../payload-fingerprint";
import { publishableEvent, publishableEventNames, roomPattern } from "../publishable-events";
import { roomStub } from "../room/room-stub";
import { type ParsedRoom, parseRoom } from "../room-policy";
import { HttpError } from "./http-error";
import { readJsonBody } from "./read-body";

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

/** Publishes a validated body to its rooms and answers what each room delivered. */
export async function handleBroadcast(request: Request, env: Env): Promise<Response> {
  const { id, locationHint, rooms, event, data } = validateBroadcast(await readJsonBody(request));
  // Each room remembers the idempotency key with a fingerprint of what it delivered: a retry after a
  // partial failure delivers only to the rooms that missed it, and a reused key with another
  // payload is a conflict rather than a silent drop.
  const hash = id ? payloadFingerprint(JSON.stringify([event, data])) : "";
  const results = await Promise.allSettled(
    rooms.map((room) => roomStub(env, room.name, locationHint).broadcast(event, data, id, hash)),
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
    return Response.json({ error: { code: ErrorCode.idempotencyConflict, message }, delivered }, { status: 409 });
  }
  if (failed.length > 0) {
    const message = `delivery failed for: ${failed.join(", ")}; retry with the same id to reach only those`;
    return Response.json({ error: { code: ErrorCode.internal, message }, delivered }, { status: 502 });
  }
  return Response.json({ delivered } satisfies BroadcastResult);
}
