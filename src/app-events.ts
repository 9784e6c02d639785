/**
 * Events your backends publish besides the hub's built-in ones (`order-status-updated`,
 * `new-order`, `notification`). This file is the app's: add an event here and nowhere else.
 *
 * Each entry names the event, its payload schema (valibot: the hub validates every publish
 * against it and answers 400 naming the wrong field; use `v.strictObject` so that typos are
 * refused) and the room kinds that may receive it (keys of `ROOM_KINDS` in `src/room-policy.ts`:
 * `pool` is `pool-staff`, `order` is `order-{id}`). The client's types come from this table too:
 * `socket.on("pool-status-updated", (data) => ...)` and
 * `publisher.to("pool-staff").emit("pool-status-updated", ...)` are typed by the schema below.
 *
 * Publishing an event to a room kind it does not list is a 400; publishing an event that is
 * neither here nor built in is a 400 that points to this file.
 */
import * as v from "valibot";
import { ID_PATTERN, ID_RULE } from "./ids.js";
import type { RoomKindName } from "./room-policy.js";

/** What an app event declares. */
export interface AppEventDeclaration {
  /** Validates `data` of every publish. */
  readonly schema: v.GenericSchema;
  /** Room kinds that may receive the event. */
  readonly rooms: readonly RoomKindName[];
}

export const APP_EVENTS = {
  /** The pool's state for the pool staff's screens. */
  "pool-status-updated": {
    schema: v.strictObject({
      poolId: v.pipe(v.string(), v.regex(ID_PATTERN, `must be ${ID_RULE}`)),
      status: v.picklist(["open", "busy", "full", "closed", "maintenance"]),
      /** Guests in the pool area now. */
      occupancy: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000))),
      capacity: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000))),
      note: v.optional(v.pipe(v.string(), v.maxLength(500))),
      updatedAt: v.pipe(v.string(), v.isoTimestamp("must be an ISO time such as 2025-01-31T18:30:00Z")),
    }),
    rooms: ["pool"],
  },
} as const satisfies Record<string, AppEventDeclaration>;
