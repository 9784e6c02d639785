/**
 * Where presence lives and how long a silent connection is kept: shared by the presence object,
 * the personal rooms that report to it, the admin dashboard and the internal API.
 */
import { env as runtimeEnv } from "cloudflare:workers";
import type { Env } from "../env";
import { log } from "../ops/log";
import { PRESENCE } from "../protocol";
import type { PresenceApi } from "./presence-api";

/** The one presence object (see "Presence" in README.md for when and how to shard it). */
export const PRESENCE_OBJECT_NAME = "global";

/** Shortest staleness accepted from `PRESENCE_STALE_AFTER_MS`. */
const MIN_STALE_AFTER_MS = 1_000;
/** The sweep runs this often while presence has connections (or a third of the staleness, when shorter). */
const MAX_SWEEP_EVERY_MS = 30_000;

/** The Worker's bindings, for room features: `RoomHost` does not carry them. */
export function hubEnv(): Env {
  return runtimeEnv as Env;
}

export function presenceStub(env: Env = hubEnv()): DurableObjectStub<PresenceApi> {
  return env.PRESENCE.getByName(PRESENCE_OBJECT_NAME);
}

/** A connection silent (no heartbeat, no frame) for longer than this is closed and dropped. */
export function staleAfterMs(env: Env): number {
  const raw = env.PRESENCE_STALE_AFTER_MS;
  if (raw === undefined || raw === "") return PRESENCE.staleAfterMs;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < MIN_STALE_AFTER_MS) {
    // PRESENCE_STALE_AFTER_MS must be an integer of at least MIN_STALE_AFTER_MS (ms).
    log.warn({ event: "config.invalid", where: "presence-config", code: "PRESENCE_STALE_AFTER_MS" });
    return PRESENCE.staleAfterMs;
  }
  return value;
}

export function sweepEveryMs(staleAfter: number): number {
  return Math.min(MAX_SWEEP_EVERY_MS, Math.floor(staleAfter / 3));
}
