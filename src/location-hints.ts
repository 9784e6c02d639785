/**
 * The regions a Durable Object may be placed in (`locationHint`), and the check of the
 * `ROOM_LOCATION_HINTS` setting (room kinds' default regions, see room/room-stub.ts).
 */
import { ROOM_KINDS } from "./room-policy";

/** The regions Durable Objects accept as a location hint. */
export const LOCATION_HINTS = [
  "wnam",
  "enam",
  "sam",
  "weur",
  "eeur",
  "apac",
  "apac-ne",
  "apac-se",
  "oc",
  "afr",
  "me",
] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];

export function isLocationHint(value: unknown): value is LocationHint {
  return typeof value === "string" && (LOCATION_HINTS as readonly string[]).includes(value);
}

/** What is wrong with `ROOM_LOCATION_HINTS`, for the configuration check; null when it is usable. */
export function locationHintsProblem(raw: string | undefined): string | null {
  if (!raw) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return 'ROOM_LOCATION_HINTS is not JSON: write it as {"kitchen":"weur"}';
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return 'ROOM_LOCATION_HINTS must be a JSON object of room kind to region, e.g. {"kitchen":"weur"}';
  }
  for (const [kind, hint] of Object.entries(parsed)) {
    if (!Object.hasOwn(ROOM_KINDS, kind))
      return `ROOM_LOCATION_HINTS names ${JSON.stringify(kind)}, which is not a room kind of room-policy.ts`;
    if (!isLocationHint(hint))
      return `ROOM_LOCATION_HINTS gives ${kind} ${JSON.stringify(hint)}: use one of ${LOCATION_HINTS.join(", ")}`;
  }
  return null;
}
