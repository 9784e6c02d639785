/**
 * What the Worker hands a room with an upgrade, after it verified the token and the policy. It
 * travels in one request header, base64url-encoded JSON: the value is plain ASCII, so the runtime
 * never has a reason to log it (a non-ASCII display name in a raw header makes it print the whole
 * header, user id and name included), and a name cannot break the header's syntax.
 */

export const CONNECT_HEADER = "X-Roomcast-Connect";

export interface ConnectRequest {
  room: string;
  userId: string;
  roles: string[];
  name?: string;
  /** Token expiry, seconds since the epoch. */
  exp: number;
  /** Only a stored grant can admit this user. */
  needsGrant: boolean;
  /** Resume after this seq of this epoch. */
  since?: number;
  epoch?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConnect(request: ConnectRequest): string {
  // At most about 13 KB (the token's schema bounds it: 32 roles of 64 characters, a name of 100,
  // escaped), well within what one call's arguments may be.
  const binary = String.fromCharCode(...encoder.encode(JSON.stringify(request)));
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The request the Worker encoded, or null when the header is not one (never throws). */
export function decodeConnect(header: string | null): ConnectRequest | null {
  if (!header) return null;
  try {
    const binary = atob(header.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    const request = JSON.parse(decoder.decode(bytes)) as ConnectRequest | null;
    return request && typeof request.userId === "string" ? request : null;
  } catch {
    return null;
  }
}
