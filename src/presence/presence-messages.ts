/**
 * What presence and the rooms tell each other: the pushes to the admin dashboard and the sweep's
 * question to a personal room. Types only, shared by both sides of those calls.
 */
import type { LiveUsersUpdate } from "../protocol";

/** A `live-users-update` as presence pushes it: `epoch` and `version` order pushes, only `update` goes to clients. */
export interface LiveUsersPush {
  epoch: string;
  version: number;
  update: LiveUsersUpdate;
}

/** What presence asks a personal room about connections it has not heard from. */
export interface ConnectionCheck {
  ids: string[];
  staleAfterMs: number;
}

/** The connections that are alive, with their last sign of life; any other asked-for id is gone. */
export interface ConnectionCheckResult {
  alive: { id: string; lastSeenAt: number }[];
}
