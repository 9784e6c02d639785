/**
 * Which rooms exist and who may join them. Deny by default: a name that matches no kind is
 * invalid, and a kind admits only the roles, owner or grants listed in its row.
 * Adding a room kind is one line in ROOM_KINDS.
 */
import { ID_PATTERN } from "./ids.js";

export interface RoomKind {
  /** `prefix-{id}` rooms carry an id; fixed rooms are matched whole. */
  readonly match: { prefix: string } | { exact: string };
  /** Roles that may join. */
  readonly roles: readonly string[];
  /** The user whose `sub` equals the room's id may join (personal rooms, own support chat). */
  readonly owner?: boolean;
  /** A backend may grant single users access (PUT /internal/rooms/{room}/members/{userId}). */
  readonly grantable?: boolean;
  /**
   * Days after its last activity (an event, a grant, a connected socket) when the room's whole
   * storage is deleted; absent: kept (its history stays bounded by HISTORY, and there are few).
   */
  readonly idleDays?: number;
}

export const ROOM_KINDS = {
  // Kept: a user's unread notifications wait for them however long they are away.
  user: { match: { prefix: "user-" }, roles: [], owner: true },
  order: { match: { prefix: "order-" }, roles: ["admin", "staff", "kitchen"], grantable: true, idleDays: 30 },
  kitchen: { match: { exact: "restaurant-kitchen" }, roles: ["admin", "staff", "kitchen"] },
  pool: { match: { exact: "pool-staff" }, roles: ["admin", "staff", "pool"] },
  adminDashboard: { match: { exact: "admin-dashboard" }, roles: ["admin"] },
  supportAgents: { match: { exact: "support-agents" }, roles: ["support", "admin"] },
  // After support-agents, so that the fixed name is not read as the chat of a user named "agents".
  support: { match: { prefix: "support-" }, roles: ["support", "admin"], owner: true, idleDays: 180 },
} as const satisfies Record<string, RoomKind>;

export type RoomKindName = keyof typeof ROOM_KINDS;

export interface ParsedRoom {
  name: string;
  kind: RoomKindName;
  /** The id of a `prefix-{id}` room. */
  id?: string;
}

/** Reads a room name; `null` when it is not a room the hub knows. */
export function parseRoom(name: string): ParsedRoom | null {
  for (const [kind, spec] of Object.entries(ROOM_KINDS) as [RoomKindName, RoomKind][]) {
    if ("exact" in spec.match) {
      if (name === spec.match.exact) return { name, kind };
    } else if (name.startsWith(spec.match.prefix)) {
      const id = name.slice(spec.match.prefix.length);
      if (ID_PATTERN.test(id)) return { name, kind, id };
      return null;
    }
  }
  return null;
}

export interface Identity {
  userId: string;
  roles: readonly string[];
}

/**
 * - `allowed`: by role or ownership.
 * - `needs-grant`: only a backend grant stored in the room object can admit this user.
 * - `denied`: nothing can.
 */
export type Access = "allowed" | "needs-grant" | "denied";

export function accessTo(room: ParsedRoom, who: Identity): Access {
  const spec: RoomKind = ROOM_KINDS[room.kind];
  if (spec.owner && room.id === who.userId) return "allowed";
  if (who.roles.some((role) => spec.roles.includes(role))) return "allowed";
  return spec.grantable ? "needs-grant" : "denied";
}

export function isGrantable(room: ParsedRoom): boolean {
  const spec: RoomKind = ROOM_KINDS[room.kind];
  return spec.grantable === true;
}

/** How long a room of this kind is kept after its last activity (ms), or null when it is kept. */
export function idleLifetimeMs(kind: RoomKindName): number | null {
  const spec: RoomKind = ROOM_KINDS[kind];
  return spec.idleDays === undefined ? null : spec.idleDays * 24 * 60 * 60 * 1000;
}

/**
 * A regular expression matching exactly the room names of `kinds` as `parseRoom` reads them
 * (a name matched by an earlier kind of the table is that kind's, so it is excluded): for the
 * OpenAPI document, where a room name's validity must be said in JSON Schema.
 */
export function roomNamePattern(kinds: readonly RoomKindName[] | "any"): RegExp {
  const all = Object.keys(ROOM_KINDS) as RoomKindName[];
  const wanted = kinds === "any" ? all : kinds;
  const id = ID_PATTERN.source.replace(/^\^/, "").replace(/\$$/, "");
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const patternOf = (kind: RoomKindName) => {
    const { match } = ROOM_KINDS[kind] as RoomKind;
    return "exact" in match ? literal(match.exact) : `${literal(match.prefix)}${id}`;
  };
  const alternatives = wanted.map((kind) => {
    const earlier = all.slice(0, all.indexOf(kind)).map(patternOf);
    return earlier.length > 0 ? `(?!(?:${earlier.join("|")})$)${patternOf(kind)}` : patternOf(kind);
  });
  return new RegExp(`^(?:${alternatives.join("|")})$`);
}
