/**
 * Bearer check of the internal API, in constant time: both sides are hashed first so that neither
 * the length nor a prefix of the secret leaks through timing.
 */
import type { MiddlewareHandler } from "hono";
import type { Env } from "../env";
import { ErrorCode } from "../protocol";
import { HttpError } from "./http-error";
import { clientIp, enforce } from "./rate-limits";

const encoder = new TextEncoder();

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

/** The configured secret's digest, computed once per isolate (the secret only changes with a deploy). */
const expectedDigests = new Map<string, Promise<ArrayBuffer>>();

export async function secretMatches(given: string, expected: string): Promise<boolean> {
  let expectedDigest = expectedDigests.get(expected);
  if (!expectedDigest) {
    expectedDigest = digest(expected);
    expectedDigests.set(expected, expectedDigest);
  }
  const [a, b] = await Promise.all([digest(given), expectedDigest]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/**
 * Admits a call to the internal API or throws its refusal: 429 past the per-address limit (checked
 * before the secret, so that guessing it is limited too), 401 without the bearer secret.
 */
export async function checkInternalCaller(request: Request, env: Env): Promise<void> {
  await enforce(env, "INTERNAL_PER_IP", clientIp(request), "internal API calls from this address");
  const header = request.headers.get("Authorization") ?? "";
  const given = header.startsWith("Bearer ") ? header.slice(7) : "";
  if (!given || !(await secretMatches(given, env.BROADCAST_SECRET ?? ""))) {
    throw new HttpError(401, ErrorCode.unauthorized, "the internal API needs Authorization: Bearer $BROADCAST_SECRET");
  }
}

export const requireInternalCaller: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  await checkInternalCaller(c.req.raw, c.env);
  await next();
};
