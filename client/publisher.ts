/**
 * The backend side: publishes events to rooms and grants or revokes access through the hub's
 * internal API. Transient failures (network errors, 5xx, 429) are retried with jittered backoff
 * for up to a minute by default (a hub deploy or restart is ridden out); any other 4xx is the
 * caller's mistake and is never retried. Backends that must not lose an event across their own
 * restarts put it in an outbox first (`outbox.ts`).
 *
 * Every publish carries an idempotency `id`, one per `emit()` call, reused by every retry and
 * every call of a split: the hub delivers an id at most once per room, so retries never deliver
 * twice, even when a request reached the hub and only its answer was lost.
 */
import * as v from "valibot";
import { type BroadcastResult, LIMITS, type PublishableEvent, type PublishablePayloads } from "../src/protocol.js";
import { readRetryAfter } from "./access-check.js";
import { Backoff } from "./backoff.js";
import { RoomcastError, type RoomcastErrorCode } from "./errors.js";
import { randomId } from "./ids.js";
import { httpUrl } from "./room-url.js";

/**
 * How the publisher retries transient failures (network errors, 5xx, 429): with jittered
 * backoff, no sooner than a `Retry-After`, until `maxElapsedMs` have passed since the first
 * attempt (or `attempts` were made). The defaults ride out a deploy or a restart of the hub.
 *
 * @example
 * createPublisher({ url, secret, retry: { maxElapsedMs: 120_000, maxDelayMs: 10_000 } });
 */
export interface PublisherRetryOptions {
  /** Attempts in total, the first one included. Default unlimited: `maxElapsedMs` bounds them. */
  attempts?: number;
  /** Longest time to keep retrying, from the first attempt. Default 60000 ms. */
  maxElapsedMs?: number;
  /** Default 250 ms. */
  minDelayMs?: number;
  /** Default 5000 ms. */
  maxDelayMs?: number;
  random?: () => number;
}

/**
 * The publisher's default retry settings: at least 30 s of hub unavailability (a deploy, a
 * crash and restart) is ridden out.
 *
 * @example
 * console.info(`publishes keep retrying for ${PUBLISHER_RETRY_DEFAULTS.maxElapsedMs / 1000} s`);
 */
export const PUBLISHER_RETRY_DEFAULTS = {
  attempts: Number.POSITIVE_INFINITY,
  maxElapsedMs: 60_000,
  minDelayMs: 250,
  maxDelayMs: 5_000,
} as const;

/**
 * Options of `createPublisher()`.
 *
 * @example
 * const options: PublisherOptions = {
 *   url: "https://hub.example.com",
 *   secret: process.env.BROADCAST_SECRET ?? "",
 *   onRetry: ({ attempt, error }) => console.warn("hub retry", attempt, error.code),
 * };
 */
export interface PublisherOptions {
  /** The hub's base URL, e.g. `https://hub.example.com`. */
  url: string;
  /** The hub's BROADCAST_SECRET. Keep it on servers only. */
  secret: string;
  retry?: PublisherRetryOptions;
  /** Per request. Default 10000 ms. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  /** Called before each retry, e.g. to log it. */
  onRetry?: (info: { attempt: number; delayMs: number; error: PublishError }) => void;
}

/**
 * Answer of a grant or revoke.
 *
 * @example
 * const { closed }: MembershipResult = await publisher.revoke("order-1001", "42");
 */
export interface MembershipResult {
  room: string;
  userId: string;
  granted: boolean;
  /** Sockets closed with 4003 by a revoke. */
  closed?: number;
}

/**
 * Options of one publish.
 *
 * @example
 * // The id of the business event: a job that runs twice still notifies once (within 10 minutes).
 * await publisher.to("user-42").emit("notification", { title: "Paid", body: "Thank you" }, { id: `paid-${invoice.id}` });
 */
export interface PublishOptions {
  /**
   * Idempotency key, 1-128 characters. Default: a fresh random id per `emit()` call. Pass your own
   * to make repeats of the same logical publish (a re-run job, a retry after `emit` threw) deliver
   * nothing new for 10 minutes. The same id with another event or payload is refused (409
   * `idempotency_conflict`).
   */
  id?: string;
}

/**
 * Answer of a publish: sockets reached per room, and the idempotency id it used.
 *
 * @example
 * const { delivered, id }: PublishResult = await publisher.to("order-42").emit("order-status-updated", update);
 * log.info("published", id, delivered);
 */
export interface PublishResult extends BroadcastResult {
  /** The id the hub deduplicated by: pass it again (`{ id }`) to repeat this publish safely. */
  id: string;
}

/**
 * A failed publisher call: the hub's `code`, `message` and HTTP `status` (undefined when the hub
 * was not reached), after `attempts` tries. `idempotency_conflict` (409) means the id was used
 * before with another event or payload; it is never retried.
 *
 * @example
 * try {
 *   await publisher.to("order-42").emit("order-status-updated", { orderId: 42, status: "ready" });
 * } catch (error) {
 *   if (error instanceof PublishError && error.status === 400) console.error(error.code, error.message);
 * }
 */
export class PublishError extends RoomcastError {
  override readonly name: string = "PublishError";
  readonly attempts: number;
  /** For broadcasts: the rooms that did receive the event before the call failed. */
  readonly delivered: Record<string, number>;
  /** For broadcasts: the idempotency id; `emit(event, data, { id })` with it later delivers only what is missing. */
  readonly id: string | undefined;

  constructor(
    code: RoomcastErrorCode | (string & {}),
    message: string,
    details: {
      status?: number;
      attempts?: number;
      delivered?: Record<string, number>;
      id?: string;
      cause?: unknown;
    } = {},
  ) {
    super(code, message, { status: details.status, cause: details.cause });
    this.attempts = details.attempts ?? 1;
    this.delivered = details.delivered ?? {};
    this.id = details.id;
  }

  annotate(attempts: number, delivered: Record<string, number>, id?: string): PublishError {
    return new PublishError(this.code, this.message, {
      status: this.status,
      attempts,
      delivered,
      id,
      cause: this.cause,
    });
  }
}

/**
 * An immutable set of target rooms: every `to()` returns a new operator.
 *
 * @example
 * const kitchenAndOrder = publisher.to("restaurant-kitchen").to("order-42");
 * await kitchenAndOrder.emit("order-status-updated", { orderId: 42, status: "preparing" });
 */
export interface BroadcastOperator {
  readonly rooms: readonly string[];
  to(room: string | readonly string[]): BroadcastOperator;
  /**
   * Sends one event to every room; resolves with the sockets reached per room and the id used.
   * Retries reuse the id, so a room never receives the event twice.
   */
  emit<E extends PublishableEvent>(
    event: E,
    data: PublishablePayloads[E],
    options?: PublishOptions,
  ): Promise<PublishResult>;
}

/**
 * @example
 * const publisher = createPublisher({ url: process.env.HUB_URL, secret: process.env.HUB_SECRET });
 * await publisher.to("user-42").emit("notification", { title: "Order ready", body: "Table 4" });
 * await publisher.grant("order-1001", "42");
 */
export interface Publisher {
  to(room: string | readonly string[]): BroadcastOperator;
  /** Lets a user into an `order-*` room (PUT /internal/rooms/{room}/members/{userId}). */
  grant(room: string, userId: string): Promise<MembershipResult>;
  /** Takes the grant back and closes the user's sockets in that room with 4003. */
  revoke(room: string, userId: string): Promise<MembershipResult>;
}

const errorAnswerSchema = v.object({
  error: v.object({ code: v.string(), message: v.string() }),
  delivered: v.optional(v.record(v.string(), v.number())),
});
const broadcastAnswerSchema = v.object({ delivered: v.record(v.string(), v.number()) });
const membershipAnswerSchema = v.object({
  room: v.string(),
  userId: v.string(),
  granted: v.boolean(),
  closed: v.optional(v.number()),
});

/** Longest idempotency id the hub accepts. */
const MAX_ID_LENGTH = 128;

type Attempt<T> =
  | { ok: true; value: T }
  | { ok: false; error: PublishError; retryable: boolean; retryAfterMs?: number };

/**
 * Creates a publisher for one hub.
 *
 * @example
 * import { createPublisher } from "roomcast/client/publisher";
 *
 * const publisher = createPublisher({ url: "https://hub.example.com", secret: process.env.BROADCAST_SECRET! });
 * const { delivered } = await publisher
 *   .to("restaurant-kitchen")
 *   .emit("new-order", { orderId: 7, customerName: "Ada", items: [{ name: "Soup", quantity: 1 }], createdAt: new Date().toISOString() });
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const attempts = Math.max(1, options.retry?.attempts ?? PUBLISHER_RETRY_DEFAULTS.attempts);
  const maxElapsedMs = options.retry?.maxElapsedMs ?? PUBLISHER_RETRY_DEFAULTS.maxElapsedMs;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call(method: string, path: string, body: unknown): Promise<Attempt<unknown>> {
    let response: Response;
    try {
      response = await fetchFn(httpUrl(options.url, path), {
        method,
        headers: { Authorization: `Bearer ${options.secret}`, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      return {
        ok: false,
        error: new PublishError("network_error", `the hub could not be reached: ${why}`, { cause }),
        retryable: true,
      };
    }
    let json: unknown = null;
    try {
      json = await response.json();
    } catch {
      // Judged by status below.
    }
    if (response.ok) return { ok: true, value: json };
    const status = response.status;
    const parsed = v.safeParse(errorAnswerSchema, json);
    const error = parsed.success
      ? new PublishError(parsed.output.error.code, parsed.output.error.message, {
          status,
          delivered: parsed.output.delivered,
        })
      : new PublishError("invalid_response", `the hub answered ${status} without an error body`, { status });
    // 429: the hub's abuse limit; retried no sooner than it asks.
    if (status === 429)
      return { ok: false, error, retryable: true, retryAfterMs: readRetryAfter(response.headers.get("Retry-After")) };
    // A 503 during a deploy may say when to come back, too.
    const retryAfterMs = status >= 500 ? readRetryAfter(response.headers.get("Retry-After")) : undefined;
    return { ok: false, error, retryable: status >= 500, retryAfterMs };
  }

  /** Runs `once` until it succeeds, fails for good, or the attempts are used up. */
  async function withRetries<T>(
    once: () => Promise<Attempt<T>>,
    delivered: Record<string, number> = {},
    id?: string,
  ): Promise<T> {
    const backoff = new Backoff({
      minDelayMs: options.retry?.minDelayMs ?? PUBLISHER_RETRY_DEFAULTS.minDelayMs,
      maxDelayMs: options.retry?.maxDelayMs ?? PUBLISHER_RETRY_DEFAULTS.maxDelayMs,
      random: options.retry?.random,
    });
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const result = await once();
      if (result.ok) return result.value;
      if (!result.retryable || attempt >= attempts) throw result.error.annotate(attempt, delivered, id);
      let delayMs = Math.max(backoff.next(), result.retryAfterMs ?? 0);
      const left = started + maxElapsedMs - Date.now();
      if (left <= 0) throw result.error.annotate(attempt, delivered, id);
      // The last attempt goes out as the budget ends rather than not at all.
      delayMs = Math.min(delayMs, left);
      options.onRetry?.({ attempt: attempt + 1, delayMs, error: result.error });
      await new Promise((done) => setTimeout(done, delayMs));
    }
  }

  async function broadcast(
    rooms: readonly string[],
    event: string,
    data: unknown,
    publish: PublishOptions = {},
  ): Promise<PublishResult> {
    if (rooms.length === 0) {
      throw new PublishError("bad_request", "name at least one room: publisher.to(room).emit(...)", { attempts: 0 });
    }
    // A notification's id is its publish id (the hub refuses two different ones).
    const own = event === "notification" ? (data as { id?: unknown } | null)?.id : undefined;
    const id = publish.id ?? (typeof own === "string" ? own : randomId());
    if (typeof id !== "string" || id.length < 1 || id.length > MAX_ID_LENGTH) {
      throw new PublishError("bad_request", `a publish id is 1-${MAX_ID_LENGTH} characters`, { attempts: 0 });
    }
    const delivered: Record<string, number> = {};
    // The hub takes a bounded number of rooms per call; larger audiences go in several calls, all
    // with the same id (the hub remembers ids per room, so disjoint room sets do not collide).
    for (let start = 0; start < rooms.length; start += LIMITS.maxRoomsPerBroadcast) {
      let remaining = rooms.slice(start, start + LIMITS.maxRoomsPerBroadcast);
      await withRetries(
        async () => {
          const result = await call("POST", "internal/broadcast", { id, rooms: remaining, event, data });
          if (!result.ok) {
            // A partial failure (502) names what was delivered: retry only the other rooms, so no room gets the event twice.
            const reached = result.error.delivered;
            Object.assign(delivered, reached);
            remaining = remaining.filter((room) => !(room in reached));
            return result;
          }
          const answer = v.safeParse(broadcastAnswerSchema, result.value);
          if (!answer.success) {
            const error = new PublishError("invalid_response", "the hub's broadcast answer has no delivered map", {
              status: 200,
            });
            return { ok: false, error, retryable: false };
          }
          Object.assign(delivered, answer.output.delivered);
          return { ok: true, value: undefined };
        },
        delivered,
        id,
      );
    }
    return { delivered, id };
  }

  async function membership(method: "PUT" | "DELETE", room: string, userId: string): Promise<MembershipResult> {
    const path = `internal/rooms/${encodeURIComponent(room)}/members/${encodeURIComponent(userId)}`;
    return withRetries(async () => {
      const result = await call(method, path, undefined);
      if (!result.ok) return result;
      const answer = v.safeParse(membershipAnswerSchema, result.value);
      if (!answer.success) {
        const error = new PublishError("invalid_response", "the hub's membership answer is not readable", {
          status: 200,
        });
        return { ok: false, error, retryable: false };
      }
      return { ok: true, value: answer.output };
    });
  }

  function operator(rooms: readonly string[]): BroadcastOperator {
    const frozen = Object.freeze([...rooms]);
    return {
      rooms: frozen,
      to: (room) => operator([...new Set([...frozen, ...(typeof room === "string" ? [room] : room)])]),
      emit: (event, data, publish) => broadcast(frozen, event, data, publish),
    };
  }

  return {
    to: (room) => operator([]).to(room),
    grant: (room, userId) => membership("PUT", room, userId),
    revoke: (room, userId) => membership("DELETE", room, userId),
  };
}
