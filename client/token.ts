/**
 * Where tokens come from. The `auth` option is asked before every connection attempt, so each
 * (re)join carries a token the app considers current; concurrent asks share one call.
 */
import { RoomcastError } from "./errors.js";

/**
 * Why the client asks for a token: a plain (re)connect, or the hub said the last one expired.
 *
 * @example
 * const auth = ({ reason }: AuthContext) => session.token({ forceRefresh: reason === "token_expired" });
 */
export interface AuthContext {
  reason: "connect" | "token_expired";
}

/**
 * A function that returns the current token; it may refresh it, and should when `reason` is `token_expired`.
 *
 * @example
 * const auth: AuthFunction = async () => (await fetch("/api/hub-token")).text();
 */
export type AuthFunction = (context: AuthContext) => string | Promise<string>;

/**
 * How the client gets its JWT: a fixed token (`"eyJ..."` or `{ token: "eyJ..." }`), which cannot be
 * refreshed, or a function called before every connection attempt.
 *
 * @example
 * connect(url, { auth: { token: serverRenderedToken } });
 * connect(url, { auth: () => session.getToken() });
 */
export type AuthOption = string | { token: string } | AuthFunction;

/**
 * The claims the client reads from a token, without verifying it (the hub verifies).
 *
 * @example
 * const claims: TokenClaims | null = readTokenClaims(token);
 */
export interface TokenClaims {
  sub?: string;
  exp?: number;
  roles?: unknown;
  name?: unknown;
}

/**
 * Decodes a JWT's payload without checking its signature.
 *
 * @example
 * readTokenClaims(token)?.sub; // "42"
 */
export function readTokenClaims(token: string): TokenClaims | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof claims !== "object" || claims === null) return null;
    const { sub, exp, roles, name } = claims as Record<string, unknown>;
    return {
      sub: typeof sub === "string" ? sub : undefined,
      exp: typeof exp === "number" ? exp : undefined,
      roles,
      name,
    };
  } catch {
    return null;
  }
}

export class TokenSource {
  private readonly auth: AuthOption;
  private readonly inflight = new Map<AuthContext["reason"], Promise<string>>();

  constructor(auth: AuthOption) {
    this.auth = auth;
  }

  /** Asks `auth` for a token; throws a RoomcastError `auth_failed` when it fails. */
  get(reason: AuthContext["reason"]): Promise<string> {
    const running = this.inflight.get(reason);
    if (running) return running;
    const call = this.call({ reason }).finally(() => this.inflight.delete(reason));
    this.inflight.set(reason, call);
    return call;
  }

  private async call(context: AuthContext): Promise<string> {
    let token: unknown;
    try {
      const { auth } = this;
      token = typeof auth === "string" ? auth : typeof auth === "function" ? await auth(context) : auth.token;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new RoomcastError("auth_failed", `the auth function failed: ${why}`, { cause: error });
    }
    if (typeof token !== "string" || token.length === 0) {
      throw new RoomcastError("auth_failed", "the auth function did not return a token string");
    }
    return token;
  }
}
