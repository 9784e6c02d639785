/**
 * Verifies the bearer of a request: a JWT with `sub`, `roles`, optional `name`, and a required `exp`.
 * HS256 tokens are checked against JWT_SECRET; RS256/ES256 tokens against the JWKS at JWT_JWKS_URL.
 * Each algorithm family is tied to its own key source, so an HS256 token signed with a public key
 * (algorithm confusion) and `alg: none` are refused.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from "jose";
import * as v from "valibot";
import type { Env } from "../env";
import { ErrorCode, ID_PATTERN, ID_RULE } from "../protocol";
import { HttpError } from "./http-error";

/**
 * Seconds of clock skew tolerated on `nbf` (a token minted on a clock slightly ahead). None on
 * `exp`: the room closes a socket at its token's `exp`, so a token past it must be refused, not
 * admitted for a moment and closed with 4001 (a client with a fixed token would loop).
 */
export const CLOCK_TOLERANCE_SECONDS = 5;

const ASYMMETRIC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"];

const claimsSchema = v.object({
  sub: v.pipe(v.string(), v.regex(ID_PATTERN, `sub must be ${ID_RULE}`)),
  roles: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(64))), v.maxLength(32)), []),
  name: v.optional(v.pipe(v.string(), v.maxLength(100))),
  exp: v.number(),
});

export interface VerifiedUser {
  userId: string;
  roles: string[];
  name?: string;
  /** Token expiry, seconds since the epoch. */
  exp: number;
}

// createRemoteJWKSet caches keys and rate-limits refetches; keep one per URL for the isolate's life.
const jwksByUrl = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
function remoteJwks(url: string) {
  let jwks = jwksByUrl.get(url);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(url));
    jwksByUrl.set(url, jwks);
  }
  return jwks;
}

/**
 * The HMAC key of JWT_SECRET, imported once per isolate and secret rather than on every upgrade
 * (the import was about half of a token check: bench/PUBLISH-PATH.md). A new secret (a rotation
 * reaches a running isolate with new bindings) replaces it.
 */
let hmacKey: { secret: string; key: Promise<CryptoKey> } | null = null;

function hmacKeyOf(secret: string): Promise<CryptoKey> {
  if (hmacKey?.secret !== secret) {
    const key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    hmacKey = { secret, key };
    // A failed import is not kept: the next upgrade tries again.
    key.catch(() => {
      if (hmacKey?.key === key) hmacKey = null;
    });
  }
  return hmacKey.key;
}

/**
 * The token of a request: `Authorization: Bearer` first, then the `token` query parameter
 * (browsers). `url`: the request's URL, when the caller has parsed it already.
 */
export function tokenOf(request: Request, url?: URL): string | null {
  const header = request.headers.get("Authorization");
  if (header?.startsWith("Bearer ")) return header.slice(7).trim() || null;
  return (url ?? new URL(request.url)).searchParams.get("token") || null;
}

export async function verifyToken(token: string, env: Env): Promise<VerifiedUser> {
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw new HttpError(401, ErrorCode.unauthorized, "token is not a JWT");
  }
  const options = {
    issuer: env.JWT_ISSUER || undefined,
    audience: env.JWT_AUDIENCE || undefined,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ["exp", "sub"],
  };
  let payload: JWTPayload;
  try {
    if (alg === "HS256" && env.JWT_SECRET) {
      ({ payload } = await jwtVerify(token, await hmacKeyOf(env.JWT_SECRET), {
        ...options,
        algorithms: ["HS256"],
      }));
    } else if (alg && ASYMMETRIC_ALGORITHMS.includes(alg) && env.JWT_JWKS_URL) {
      ({ payload } = await jwtVerify(token, remoteJwks(env.JWT_JWKS_URL), {
        ...options,
        algorithms: ASYMMETRIC_ALGORITHMS,
      }));
    } else {
      throw new HttpError(401, ErrorCode.unauthorized, `token algorithm ${alg ?? "(none)"} is not accepted`);
    }
  } catch (error) {
    throw toAuthError(error);
  }
  const claims = v.safeParse(claimsSchema, payload);
  if (!claims.success) {
    throw new HttpError(401, ErrorCode.unauthorized, `token claims are invalid: ${claims.issues[0]?.message}`);
  }
  const { sub, roles, name, exp } = claims.output;
  if (exp * 1000 <= Date.now()) {
    throw new HttpError(401, ErrorCode.tokenExpired, "token has expired: get a fresh one and reconnect");
  }
  return { userId: sub, roles: [...new Set(roles)], name, exp };
}

function toAuthError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof errors.JWTExpired) {
    return new HttpError(401, ErrorCode.tokenExpired, "token has expired: get a fresh one and reconnect");
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new HttpError(401, ErrorCode.unauthorized, `token claim ${error.claim} is invalid: ${error.reason}`);
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed) {
    return new HttpError(401, ErrorCode.unauthorized, "token signature is invalid");
  }
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError)
  ) {
    // The identity provider's keys could not be had: not the client's fault, and never a pass.
    return new HttpError(503, ErrorCode.internal, "token keys are unavailable right now: retry shortly");
  }
  return new HttpError(401, ErrorCode.unauthorized, "token is invalid");
}
