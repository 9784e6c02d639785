/**
 * How the hub reaches a room's object, and where a new one is placed. A Durable Object is created
 * near the first request that reaches it, so an `order-*` room first touched by a backend's grant
 * lives near the backend, not near the customer who follows it. A caller may pass a
 * `locationHint` (the platform's region names); otherwise the room kind's default from
 * `ROOM_LOCATION_HINTS` applies. A hint only matters when the object is created.
 */
import type { Env } from "../env";
import { isLocationHint, type LocationHint } from "../location-hints";
import { parseRoom, type RoomKindName } from "../room-policy";
import type { RoomApi } from "./room-api";

/** The stub of `room`, placed by `hint` or by its kind's default when the object is new. */
export function roomStub(
  env: Pick<Env, "ROOMS" | "ROOM_LOCATION_HINTS">,
  room: string,
  hint?: LocationHint,
): DurableObjectStub<RoomApi> {
  const locationHint = hint ?? kindDefault(env, parseRoom(room)?.kind);
  return locationHint ? env.ROOMS.getByName(room, { locationHint }) : env.ROOMS.getByName(room);
}

const parsedDefaults = new Map<string, Partial<Record<RoomKindName, LocationHint>>>();

/** `ROOM_LOCATION_HINTS`: a JSON object of room kind to region, e.g. `{"kitchen":"weur"}`; read once per value. */
function kindDefault(env: Pick<Env, "ROOM_LOCATION_HINTS">, kind: RoomKindName | undefined): LocationHint | undefined {
  const raw = env.ROOM_LOCATION_HINTS;
  if (!raw || !kind) return undefined;
  let defaults = parsedDefaults.get(raw);
  if (!defaults) {
    defaults = readDefaults(raw);
    parsedDefaults.set(raw, defaults);
  }
  return defaults[kind];
}

function readDefaults(raw: string): Partial<Record<RoomKindName, LocationHint>> {
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed !== "object" || parsed === null) return {};
    const defaults: Partial<Record<RoomKindName, LocationHint>> = {};
    for (const [kind, hint] of Object.entries(parsed)) {
      if (isLocationHint(hint)) defaults[kind as RoomKindName] = hint;
    }
    return defaults;
  } catch {
    return {};
  }
}
