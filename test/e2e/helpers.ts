/**
 * Node-side helpers for end-to-end tests: tokens, real WebSocket clients and internal API calls
 * against a hub started by `startHub()`.
 */
import { signToken } from "../../src/sign-token.mjs";
import { E2E_BROADCAST_SECRET, E2E_JWT_SECRET, type Hub } from "../support/hub-process";
import { waitForFrames as waitForFramesOf } from "../support/wait";

export function e2eToken(sub: string, roles: string[] = [], expiresIn = 3600): Promise<string> {
  return signToken(E2E_JWT_SECRET, { sub, roles, expiresIn });
}

export interface Frame {
  event: string;
  room?: string;
  ack?: number;
  data?: unknown;
  seq?: number;
  epoch?: string;
}

export interface Client {
  ws: WebSocket;
  frames: Frame[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once the socket opened, rejects if it closed first. */
  opened: Promise<void>;
}

/** A socket on `room`; `query` adds parameters, e.g. `since=41&epoch=9f2c…` to resume. */
export function openClient(hub: Hub, room: string, token: string, query = ""): Client {
  const ws = new WebSocket(`${hub.wsUrl}/ws/${room}?token=${encodeURIComponent(token)}${query ? `&${query}` : ""}`);
  const frames: Frame[] = [];
  ws.addEventListener("message", (event) => {
    const frame = JSON.parse(String(event.data));
    // A burst arrives as one batch frame holding the events' own frames.
    if (frame.event === "batch") frames.push(...(frame.data as Frame[]));
    else frames.push(frame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("close", (event) => reject(new Error(`closed before open: ${event.code}`)));
    // Node's WebSocket reports a refused upgrade (non-101) with an error event and no close event.
    ws.addEventListener("error", () => reject(new Error("refused before open")));
  });
  opened.catch(() => {});
  return { ws, frames, closed, opened };
}

/** Waits until `client` has received at least `count` frames (10 s by default: a real process). */
export function waitForFrames(client: Client, count: number, timeoutMs = 10_000): Promise<Frame[]> {
  return waitForFramesOf(client, count, timeoutMs);
}

export function internal(hub: Hub, path: string, method: string, body?: unknown, secret = E2E_BROADCAST_SECRET) {
  return fetch(`${hub.url}/internal${path}`, {
    method,
    headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
