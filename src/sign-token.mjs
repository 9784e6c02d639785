// @ts-check
/**
 * Signs the HS256 tokens the hub verifies (src/worker/auth.ts): `sub`, `roles`, an optional
 * display `name`, `iat` and `exp`. One implementation for the development token route, the token
 * script, the benchmark and the tests; plain JavaScript with JSDoc types so that Node scripts,
 * the Worker and TypeScript tests can all import it.
 */
import { SignJWT } from "jose";

/**
 * @typedef {object} TokenSpec
 * @property {string} [sub] the user id; omitted from the token when not given
 * @property {string[]} [roles] default `[]`
 * @property {string} [name] display name
 * @property {number | null} [expiresIn] seconds from now (negative: already expired); default
 *   3600; `null` leaves `exp` out
 * @property {number} [notBefore] `nbf`, seconds from now
 * @property {string} [issuer] `iss`
 * @property {string} [audience] `aud`
 * @property {Record<string, unknown>} [claims] further claims; they win over `roles` and `name`
 */

/**
 * A compact HS256 JWT for `spec`, signed with `secret`.
 *
 * @param {string} secret the hub's JWT_SECRET
 * @param {TokenSpec} [spec]
 * @returns {Promise<string>}
 * @example
 * const token = await signToken(process.env.JWT_SECRET, { sub: "kitchen-1", roles: ["kitchen"], expiresIn: 600 });
 */
export async function signToken(secret, spec = {}) {
  const now = Math.floor(Date.now() / 1000);
  /** @type {Record<string, unknown>} */
  const claims = { roles: spec.roles ?? [] };
  if (spec.name) claims.name = spec.name;
  Object.assign(claims, spec.claims);
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt(now);
  if (spec.sub !== undefined) jwt = jwt.setSubject(spec.sub);
  if (spec.expiresIn !== null) jwt = jwt.setExpirationTime(now + (spec.expiresIn ?? 3600));
  if (spec.notBefore !== undefined) jwt = jwt.setNotBefore(now + spec.notBefore);
  if (spec.issuer) jwt = jwt.setIssuer(spec.issuer);
  if (spec.audience) jwt = jwt.setAudience(spec.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
