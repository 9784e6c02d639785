/** Secrets every bench target runs with, and HS256 tokens signed with jose like the app's. */
import { SignJWT } from "jose";

/** Bench-only secrets (each at least 32 characters, as the hub requires). */
export const BENCH_JWT_SECRET = "bench-jwt-secret-0123456789abcdef0123456789abcdef";
export const BENCH_BROADCAST_SECRET = "bench-broadcast-secret-0123456789abcdef0123456789";

const key = new TextEncoder().encode(BENCH_JWT_SECRET);

/** A token for `sub` with `roles`, valid for `ttlSeconds`. */
export async function signToken(sub, roles, ttlSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(key);
}
