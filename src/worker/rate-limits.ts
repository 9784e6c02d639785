/**
 * Abuse limits, enforced in the Worker before any room object wakes, with the platform's Rate
 * Limiting bindings (`[[ratelimits]]` in wrangler.toml). Counts are kept per Cloudflare location
 * and are approximate: a client reaching the hub through two locations has two budgets.
 *
 * Per-IP limits key on CF-Connecting-IP, which Cloudflare always sets in production. Requests
 * without it, or from loopback (local development, benchmarks), are not limited per IP; they are
 * still limited per user.
 */
import type { Env } from "../env";
import { ErrorCode } from "../protocol";
import { HttpError } from "./http-error";

type Limiter = "UPGRADES_PER_IP" | "UPGRADES_PER_USER" | "INTERNAL_PER_IP";

/** The window of every limit, in seconds (the binding accepts 10 or 60). */
export const LIMIT_PERIOD_SECONDS = 10;

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

function clientIp(request: Request): string | null {
  const ip = request.headers.get("CF-Connecting-IP");
  return ip && !LOOPBACK.test(ip) ? ip : null;
}

/** Throws a 429 when `key` has used up its budget in `limiter`; a missing binding limits nothing. */
export async function enforce(env: Env, limiter: Limiter, key: string | null, what: string): Promise<void> {
  const binding = env[limiter];
  if (!binding || key === null) return;
  const { success } = await binding.limit({ key });
  if (!success) {
    throw new HttpError(
      429,
      ErrorCode.rateLimited,
      `too many ${what}: wait ${LIMIT_PERIOD_SECONDS} seconds and retry`,
      {
        "Retry-After": String(LIMIT_PERIOD_SECONDS),
      },
    );
  }
}

/** `enforce` keyed on the request's client address (see clientIp): the upgrade, access and internal routes. */
export function enforceIp(
  request: Request,
  env: Env,
  limiter: "UPGRADES_PER_IP" | "INTERNAL_PER_IP",
  what: string,
): Promise<void> {
  return enforce(env, limiter, clientIp(request), what);
}
