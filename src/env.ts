/**
 * Bindings and settings of the Worker, and the check that refuses to serve without its secrets.
 */
import { locationHintsProblem } from "./location-hints";
import type { PresenceApi } from "./presence/presence-api";
import type { RoomApi } from "./room/room-api";

export interface Env {
  ROOMS: DurableObjectNamespace<RoomApi>;
  /** Live users across the hub (src/presence/presence-object.ts). */
  PRESENCE: DurableObjectNamespace<PresenceApi>;
  /** HS256 key of the tokens the app's auth service signs. */
  JWT_SECRET?: string;
  /** JWKS of an identity provider, for RS256/ES256 tokens. */
  JWT_JWKS_URL?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  /** Bearer secret of the internal API. */
  BROADCAST_SECRET?: string;
  /** Comma-separated origins allowed to open sockets from a browser; empty allows any. */
  ALLOWED_ORIGINS?: string;
  /** `development` enables local conveniences; anything else is treated as production. */
  ENVIRONMENT?: string;
  /** Milliseconds without a heartbeat after which presence drops a connection (default 90000, at least 1000). */
  PRESENCE_STALE_AFTER_MS?: string;
  /** Where the hub sends its webhooks (src/room/webhook-outbox.ts); absent: none are sent. */
  WEBHOOK_URL?: string;
  /** HMAC-SHA256 key of the webhooks' signatures; at least 32 characters, required with WEBHOOK_URL. */
  WEBHOOK_SECRET?: string;
  /** Room kinds' default regions for new objects, JSON: `{"kitchen":"weur"}` (src/room/room-stub.ts). */
  ROOM_LOCATION_HINTS?: string;
  /** Operational metrics (src/ops/metrics.ts); absent: none are written. */
  METRICS?: AnalyticsEngineDataset;
  /** Abuse limits (src/worker/rate-limits.ts). */
  UPGRADES_PER_IP?: RateLimit;
  UPGRADES_PER_USER?: RateLimit;
  INTERNAL_PER_IP?: RateLimit;
}

/** Shortest secret accepted: 32 bytes is the HS256 key size, and shorter ones are guessable. */
export const MIN_SECRET_LENGTH = 32;

const checked = new WeakMap<Env, string | null>();

/**
 * `configProblem(env)`, worked out once per bindings object: the runtime hands every request of an
 * isolate the same one, and its secrets and vars only change with a deploy (a new isolate).
 */
export function configProblemOf(env: Env): string | null {
  let problem = checked.get(env);
  if (problem === undefined) {
    problem = configProblem(env);
    checked.set(env, problem);
  }
  return problem;
}

/**
 * Returns what is wrong with the configuration, worded as what to do, or `null` when it is usable.
 * Checked for every request (`configProblemOf`) so that a missing secret fails closed instead of
 * letting anything through.
 */
export function configProblem(env: Env): string | null {
  if (!env.JWT_SECRET && !env.JWT_JWKS_URL) {
    return "JWT_SECRET is not set: add it to .dev.vars or run `wrangler secret put JWT_SECRET` (or set JWT_JWKS_URL for an identity provider)";
  }
  if (env.JWT_SECRET && env.JWT_SECRET.length < MIN_SECRET_LENGTH) {
    return `JWT_SECRET is shorter than ${MIN_SECRET_LENGTH} characters: generate one with \`openssl rand -base64 48\` and run \`wrangler secret put JWT_SECRET\``;
  }
  if (!env.BROADCAST_SECRET) {
    return "BROADCAST_SECRET is not set: add it to .dev.vars or run `wrangler secret put BROADCAST_SECRET`";
  }
  if (env.BROADCAST_SECRET.length < MIN_SECRET_LENGTH) {
    return `BROADCAST_SECRET is shorter than ${MIN_SECRET_LENGTH} characters: generate one with \`openssl rand -base64 48\` and run \`wrangler secret put BROADCAST_SECRET\``;
  }
  if (env.WEBHOOK_URL) {
    if (!/^https?:\/\/[^\s/]+/.test(env.WEBHOOK_URL))
      return "WEBHOOK_URL must be an http(s) URL such as https://api.example.com/roomcast";
    if (!env.WEBHOOK_SECRET || env.WEBHOOK_SECRET.length < MIN_SECRET_LENGTH) {
      return `WEBHOOK_URL is set but WEBHOOK_SECRET is missing or shorter than ${MIN_SECRET_LENGTH} characters: run \`wrangler secret put WEBHOOK_SECRET\` with \`openssl rand -base64 48\``;
    }
  }
  return locationHintsProblem(env.ROOM_LOCATION_HINTS);
}

export function allowedOrigins(env: Env): string[] {
  return (env.ALLOWED_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
}
