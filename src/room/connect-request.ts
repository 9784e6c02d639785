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

export function encodeConnect(request: ConnectRequest): string {
  const bytes = new TextEncoder().encode(JSON.stringify(request));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The request the Worker encoded, or null when the header is not one (never throws). */
export function decodeConnect(header: string | null): ConnectRequest | null {
  if (!header) return null;
  try {
    const binary = atob(header.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    const request = JSON.parse(new TextDecoder().decode(bytes)) as ConnectRequest | null;
    return request && typeof request.userId === "string" ? request : null;
  } catch {
    return null;
  }
}
