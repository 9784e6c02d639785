/**
 * The console's calls to the hub's development routes: tokens from `POST /dev/token`, and the
 * backend simulator's internal API calls through `/dev/internal/*` (the hub adds its secret, so
 * the browser never holds it). Both exist only when the hub runs with ENVIRONMENT=development.
 */
import type { AuthFunction } from "../client";
import type { PublishablePayloads } from "../src/protocol";
import type { Identity } from "./identity";

/** What the hub answered to one call, kept for the simulator's log. */
export interface HubAnswer {
  method: string;
  path: string;
  status: number;
  ok: boolean;
  body: unknown;
  at: number;
}

/** The hub has no development routes (any environment but development): nothing here can work. */
export class DevRoutesMissingError extends Error {
  constructor() {
    super("this hub has no development routes: start it with ENVIRONMENT=development (npm start does)");
    this.name = "DevRoutesMissingError";
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

export async function devCall(method: string, path: string, body?: unknown): Promise<HubAnswer> {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { method, path, status: response.status, ok: response.ok, body: await readBody(response), at: Date.now() };
}

/** Tokens live this long unless the page asks otherwise (`?ttl=60` to watch a refresh). */
const DEFAULT_TTL_S = 3600;
/** A cached token is renewed this long before it expires. */
const RENEW_BEFORE_MS = 30_000;

/**
 * The `auth` function of the console's socket: a cached token while it is fresh, a new one from
 * `/dev/token` otherwise, and always a new one when the hub said the last one expired.
 */
export function devTokenSource(identity: Identity, ttlSeconds = DEFAULT_TTL_S): AuthFunction {
  let cached: { token: string; renewAt: number } | null = null;
  return async ({ reason }) => {
    if (cached && reason !== "token_expired" && Date.now() < cached.renewAt) return cached.token;
    const answer = await devCall("POST", "/dev/token", {
      sub: identity.sub,
      roles: identity.roles,
      name: identity.name,
      expiresIn: ttlSeconds,
    });
    if (answer.status === 404) throw new DevRoutesMissingError();
    const token = (answer.body as { token?: unknown } | null)?.token;
    if (!answer.ok || typeof token !== "string") {
      throw new Error(`POST /dev/token answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    const lifetimeMs = ttlSeconds * 1000;
    cached = { token, renewAt: Date.now() + Math.max(lifetimeMs - RENEW_BEFORE_MS, lifetimeMs / 2) };
    return token;
  };
}

/** A fresh idempotency key per simulator action (a retry of the same call would reuse it). */
export function actionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `console-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

export function broadcast<E extends keyof PublishablePayloads>(
  rooms: string[],
  event: E,
  data: PublishablePayloads[E],
): Promise<HubAnswer> {
  return devCall("POST", "/dev/internal/broadcast", { id: actionId(), rooms, event, data });
}

export function grant(room: string, userId: string): Promise<HubAnswer> {
  return devCall("PUT", `/dev/internal/rooms/${encodeURIComponent(room)}/members/${encodeURIComponent(userId)}`);
}

/** One line about an answer, for people: `200 delivered to order-42: 1, restaurant-kitchen: 2`. */
export function summarize(answer: HubAnswer): string {
  const body = answer.body as Record<string, unknown> | null;
  if (!answer.ok) {
    const error = body?.error as { code?: string; message?: string } | undefined;
    return error ? `${error.code}: ${error.message}` : JSON.stringify(body);
  }
  const delivered = body?.delivered as Record<string, number> | undefined;
  if (delivered) {
    const parts = Object.entries(delivered).map(([room, count]) => `${room}: ${count}`);
    return `delivered to ${parts.join(", ")} (sockets)`;
  }
  if (body && typeof body.granted === "boolean")
    return `${body.userId} ${body.granted ? "granted" : "revoked"} in ${body.room}`;
  return JSON.stringify(body);
}
