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
 * What an auth function receives: the `reason`, and, like Socket.io's `auth: (cb) => cb({ token })`,
 * a callback it may call with the token instead of returning it.
 *
 * @example
 * const auth: AuthFunction = (request: AuthRequest) => request({ token: localStorage.token });
 */
export type AuthRequest = AuthContext & ((data: { token: string } | string) => void);

/**
 * A function asked for a current token before every connection attempt. It returns the token
 * (or a Promise of it), or calls its argument with it, Socket.io's form. It may refresh the
 * token, and should when `reason` is `token_expired`.
 *
 * @example
 * const auth: AuthFunction = async ({ reason }) => (await fetch(`/api/hub-token?fresh=${reason === "token_expired"}`)).text();
 * const socketIoStyle: AuthFunction = (cb) => cb({ token: session.token });
 */
// biome-ignore lint/suspicious/noConfusingVoidType: Socket.io's callback form, `(cb) => { cb({ token }) }`, returns nothing.
export type AuthFunction = (request: AuthRequest) => string | Promise<string> | undefined | void;

/**
 * How the client gets its JWT: a fixed token (`"eyJ..."` or `{ token: "eyJ..." }`), which cannot be
 * refreshed (once it expires the socket stops, with `token_expired`), or a function called
 * before every connection attempt.
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

  /** Whether a new token can be had: false for a fixed token. */
  get refreshable(): boolean {
    return typeof this.auth === "function";
  }

  /**
   * Asks `auth` for a token; throws a RoomcastError `auth_failed` when it fails, or when it
   * neither returns a token nor calls back within `timeoutMs`.
   */
  get(reason: AuthContext["reason"], timeoutMs: number): Promise<string> {
    const running = this.inflight.get(reason);
    if (running) return running;
    const call = this.call(reason, timeoutMs).finally(() => this.inflight.delete(reason));
    this.inflight.set(reason, call);
    return call;
  }

  private call(reason: AuthContext["reason"], timeoutMs: number): Promise<string> {
    const { auth } = this;
    if (typeof auth !== "function") return Promise.resolve(auth).then(tokenOf);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new RoomcastError("auth_failed", `auth gave no token within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const settle = (value: unknown) => {
        clearTimeout(timer);
        try {
          resolve(tokenOf(value));
        } catch (error) {
          reject(error);
        }
      };
      const fail = (error: unknown) => {
        clearTimeout(timer);
        const why = error instanceof Error ? error.message : String(error);
        reject(new RoomcastError("auth_failed", `the auth function failed: ${why}`, { cause: error }));
      };
      const request = Object.assign((data: { token: string } | string) => settle(data), { reason });
      try {
        const returned = auth(request);
        if (returned !== undefined) Promise.resolve(returned).then(settle, fail);
      } catch (error) {
        fail(error);
      }
    });
  }
}

function tokenOf(value: unknown): string {
  const token = typeof value === "object" && value !== null ? (value as { token?: unknown }).token : value;
  if (typeof token !== "string" || token.length === 0) {
    throw new RoomcastError("auth_failed", "auth did not give a token string (return it, or call back with { token })");
  }
  return token;
}
