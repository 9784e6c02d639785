/**
 * Learns why a socket failed to open. Browsers and Node's WebSocket hide the HTTP status of a
 * refused upgrade, so the client asks POST /access/{room}, which runs the upgrade's checks and
 * answers with the same status and error code. It is asked only after a failure, never before
 * a connection, so a healthy client costs the hub nothing extra.
 */
import * as v from "valibot";
import { ErrorCode } from "../src/protocol.js";
import { RoomcastError } from "./errors.js";
import { accessCheckUrl } from "./room-url.js";

export type AccessVerdict =
  /** The hub would admit this token now: the failure was transient. */
  | { kind: "admitted" }
  /** The token expired: a fresh one may be admitted. */
  | { kind: "expired"; error: RoomcastError }
  /** A final refusal (400, 401, 403, 426): retrying with the same intent cannot succeed. */
  | { kind: "refused"; error: RoomcastError }
  /** No verdict (hub unreachable, 5xx, or an answer without a refusal code): retry later. */
  | { kind: "unknown"; error: RoomcastError }
  /** 429: too many attempts; retry, but not before `retryAfterMs`. */
  | { kind: "limited"; error: RoomcastError; retryAfterMs: number };

/**
 * Used when a 429 carries no readable `Retry-After` (a browser reads it cross-origin only when the
 * hub lists it in `Access-Control-Expose-Headers`): the hub's rate-limit window.
 */
export const DEFAULT_RETRY_AFTER_MS = 10_000;
/** A longer `Retry-After` is not believed: a client must not go quiet for hours on one header. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** `Retry-After` in ms (delay-seconds or an HTTP date), or undefined when absent or unreadable. */
export function readRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

const REFUSAL_STATUSES = new Set([400, 401, 403, 426]);
const errorAnswerSchema = v.object({ error: v.object({ code: v.string(), message: v.string() }) });

export interface AccessCheckInput {
  base: string;
  room: string;
  token: string;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
}

export async function checkAccess(input: AccessCheckInput): Promise<AccessVerdict> {
  const { room } = input;
  let response: Response;
  try {
    // A text/plain body and no custom header keep this a CORS "simple" request: no preflight.
    response = await input.fetch(accessCheckUrl(input.base, room), {
      method: "POST",
      body: input.token,
      signal: AbortSignal.timeout(input.timeoutMs),
    });
  } catch (cause) {
    const error = new RoomcastError("network_error", `the hub could not be reached to open ${room}`, { room, cause });
    return { kind: "unknown", error };
  }
  if (response.ok) {
    // Read to the end rather than cancel: the body is tiny, and some fetch implementations fail
    // noisily when a compressed body is cancelled mid-stream.
    await response.text().catch(() => "");
    return { kind: "admitted" };
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not the hub's JSON: judged by the status alone below.
  }
  const parsed = v.safeParse(errorAnswerSchema, body);
  const status = response.status;
  if (status === 429) {
    const retryAfterMs = readRetryAfter(response.headers.get("Retry-After")) ?? DEFAULT_RETRY_AFTER_MS;
    const error = parsed.success
      ? new RoomcastError(parsed.output.error.code, parsed.output.error.message, { status, room })
      : new RoomcastError(ErrorCode.rateLimited, `the hub is rate limiting attempts to open ${room}`, { status, room });
    return { kind: "limited", error, retryAfterMs };
  }
  if (!parsed.success) {
    const error = new RoomcastError("network_error", `the hub answered ${status} while opening ${room}`, {
      status,
      room,
    });
    return { kind: "unknown", error };
  }
  const { code, message } = parsed.output.error;
  const error = new RoomcastError(code, message, { status, room });
  if (code === ErrorCode.tokenExpired) return { kind: "expired", error };
  if (REFUSAL_STATUSES.has(status)) return { kind: "refused", error };
  return { kind: "unknown", error };
}
