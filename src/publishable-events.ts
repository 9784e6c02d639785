/**
 * The events backends may publish: the hub's built-in ones (`BUILT_IN_EVENTS` in protocol.ts)
 * and the app's (`src/app-events.ts`), with the room kinds each may go to. Hub-side only.
 */

import type { GenericSchema } from "valibot";
import { APP_EVENTS } from "./app-events.js";
import { BUILT_IN_EVENTS } from "./payload-schemas.js";
import type { PublishableEvent } from "./protocol.js";
import { ROOM_KINDS, type RoomKindName } from "./room-policy.js";

export interface PublishableEventDeclaration {
  schema: GenericSchema;
  rooms: "any" | readonly RoomKindName[];
}

const PUBLISHABLE_EVENTS: Record<PublishableEvent, PublishableEventDeclaration> = { ...BUILT_IN_EVENTS, ...APP_EVENTS };

/** The declaration of `event`, or undefined when it is neither built in nor declared by the app. */
export function publishableEvent(event: string): PublishableEventDeclaration | undefined {
  return Object.hasOwn(PUBLISHABLE_EVENTS, event) ? PUBLISHABLE_EVENTS[event as PublishableEvent] : undefined;
}

export function publishableEventNames(): string[] {
  return Object.keys(PUBLISHABLE_EVENTS);
}

/** How a room kind's rooms are named, for error messages: `pool-staff`, `order-{id}`. */
export function roomPattern(kind: RoomKindName): string {
  const { match } = ROOM_KINDS[kind];
  return "exact" in match ? match.exact : `${match.prefix}{id}`;
}
