/**
 * Builds the hub's URLs from the base URL the app gave. This is the only place that writes a
 * room socket's query string, so that resume parameters (from the room's cursor) are added here
 * and nowhere else.
 */
import type { ResumeQuery } from "./room-cursor.js";

/** What goes into a room socket's query string. */
export interface RoomQuery {
  token: string;
  /** Resume after this position: `since` and `epoch` always travel together (one without the other is a 400). */
  resume?: ResumeQuery;
}

function baseUrl(base: string): URL {
  // Relative bases ("/") resolve against the page in browsers.
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  const url = page ? new URL(base, page) : new URL(base);
  url.search = "";
  url.hash = "";
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

function withScheme(url: URL, kind: "ws" | "http"): URL {
  const secure = url.protocol === "https:" || url.protocol === "wss:";
  url.protocol = kind === "ws" ? (secure ? "wss:" : "ws:") : secure ? "https:" : "http:";
  return url;
}

/** `ws(s)://{base}/ws/{room}?token=...`, plus `&since=...&epoch=...` when resuming. */
export function roomSocketUrl(base: string, room: string, query: RoomQuery): string {
  const url = withScheme(new URL(`ws/${encodeURIComponent(room)}`, baseUrl(base)), "ws");
  url.searchParams.set("token", query.token);
  if (query.resume) {
    url.searchParams.set("since", String(query.resume.since));
    url.searchParams.set("epoch", query.resume.epoch);
  }
  return url.toString();
}

/** `http(s)://{base}/access/{room}`: asks why a socket was refused. */
export function accessCheckUrl(base: string, room: string): string {
  return withScheme(new URL(`access/${encodeURIComponent(room)}`, baseUrl(base)), "http").toString();
}

/** `http(s)://{base}/{path}` for the internal API. */
export function httpUrl(base: string, path: string): string {
  return withScheme(new URL(path.replace(/^\//, ""), baseUrl(base)), "http").toString();
}
