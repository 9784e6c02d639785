/**
 * Bearer check of the internal API, in constant time: both sides are hashed first so that neither
 * the length nor a prefix of the secret leaks through timing.
 */
import type { MiddlewareHandler } from "hono";
import type { Env } from "../env";
import { ErrorCode } from "../protocol";
import { errorResponse } from "./http-error";

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

export const requireBroadcastSecret: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const header = c.req.header("Authorization") ?? "";
  const given = header.startsWith("Bearer ") ? header.slice(7) : "";
  if (!given || !(await secretMatches(given, c.env.BROADCAST_SECRET ?? ""))) {
    return errorResponse(401, ErrorCode.unauthorized, "the internal API needs Authorization: Bearer $BROADCAST_SECRET");
  }
  await next();
};
