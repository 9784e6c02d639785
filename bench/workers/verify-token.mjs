/**
 * The token check the bench's runtime peers (floor/, partyserver/) do on every upgrade, the same
 * library call the hub makes: jose's `jwtVerify`, HS256 only, the key encoded from JWT_SECRET per
 * request, `exp` and `sub` required, 5 s of clock tolerance; then `sub` must be an id. Nothing else
 * (no roles, no room rules, no rate limits, no origin check).
 */
import { jwtVerify } from "jose";
import { ID_PATTERN } from "../../src/id-pattern.mjs";

/** The `sub` of the request's `?token=`, or null when there is none or it does not verify. */
export async function verifiedSub(request, secret) {
  const token = new URL(request.url).searchParams.get("token");
  if (!token) return null;
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ["HS256"],
      clockTolerance: 5,
      requiredClaims: ["exp", "sub"],
    });
    return typeof payload.sub === "string" && ID_PATTERN.test(payload.sub) ? payload.sub : null;
  } catch {
    return null;
  }
}

/** The error answer of a refused upgrade. */
export function refused(status, code) {
  return Response.json({ error: { code, message: code } }, { status });
}
