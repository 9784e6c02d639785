/** Secrets every bench target runs with, and the tokens of the bench's subscribers. */
import { signToken as sign } from "../../src/sign-token.mjs";

/** Bench-only secrets (each at least 32 characters, as the hub requires). */
export const BENCH_JWT_SECRET = "bench-jwt-secret-0123456789abcdef0123456789abcdef";
export const BENCH_BROADCAST_SECRET = "bench-broadcast-secret-0123456789abcdef0123456789";

/** A token for `sub` with `roles`, valid for `ttlSeconds`. */
export function signToken(sub, roles, ttlSeconds = 3600) {
  return sign(BENCH_JWT_SECRET, { sub, roles, expiresIn: ttlSeconds });
}
