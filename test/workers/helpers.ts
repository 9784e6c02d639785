/**
 * Shared helpers of the Workers tests: tokens, sockets, frames and internal API calls against the
 * real Worker (`exports.default`) and its Durable Objects.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { signToken as sign } from "../../src/sign-token.mjs";
import { waitForFrames, waitUntil } from "../support/wait";

export const ALLOWED_ORIGIN = "https://app.roomcast.test";

export interface TokenOptions {
  sub?: string;
  roles?: unknown;
  name?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** Omit `exp` entirely. */
  noExp?: boolean;
  notBefore?: number;
  issuer?: string;
  audience?: string;
  secret?: string;
  claims?: Record<string, unknown>;
}

export function signToken(options: TokenOptions = {}): Promise<string> {
  const { secret, roles, noExp, expiresIn, claims, ...spec } = options;
  // `roles` goes in as a claim: the attack tests sign roles that are not a list of strings.
  return sign(secret ?? env.JWT_SECRET ?? "", {
    ...spec,
    expiresIn: noExp ? null : expiresIn,
    claims: { roles: roles ?? [], ...claims },
  });
}

/** A token for `sub` with `roles`, valid for an hour. */
export function tokenFor(sub: string, roles: string[] = [], name?: string): Promise<string> {
  return signToken({ sub, roles, name });
}

export function hubFetch(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`https://hub.test${path}`, init));
}

export interface Frame {
  event: string;
  room?: string;
  ack?: number;
  data?: unknown;
  seq?: number;
  epoch?: string;
}

export interface TestSocket {
  ws: WebSocket;
  /** Every frame received so far, parsed, in order; batch frames are unpacked into their events. */
  frames: Frame[];
  /** WebSocket messages received (a batch counts once). */
  messages: number;
  /** Close code and reason once the hub closed the socket. */
  closed: Promise<{ code: number; reason: string }>;
  send(frame: unknown): void;
}

/** Sends an upgrade; returns the response (for status checks). */
export function upgrade(
  room: string,
  init: { token?: string; origin?: string; headers?: Record<string, string> } = {},
) {
  const headers = new Headers({ Upgrade: "websocket", ...init.headers });
  if (init.origin) headers.set("Origin", init.origin);
  const token = init.token !== undefined ? `token=${encodeURIComponent(init.token)}` : "";
  const separator = room.includes("?") ? "&" : "?";
  return hubFetch(`/ws/${room}${token ? separator + token : ""}`, { headers });
}

/** Opens a socket that must be accepted, and starts recording its frames. */
export async function openSocket(room: string, token: string, origin?: string, query = ""): Promise<TestSocket> {
  const res = await upgrade(`${room}${query}`, { token, origin });
  if (res.status !== 101 || !res.webSocket) {
    throw new Error(`expected 101 for ${room}, got ${res.status}: ${await res.text()}`);
  }
  const ws = res.webSocket;
  const socket: TestSocket = {
    ws,
    frames: [],
    messages: 0,
    closed: new Promise((resolve) => {
      ws.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason }));
    }),
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
  };
  ws.addEventListener("message", (event) => {
    socket.messages++;
    const frame = JSON.parse(typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data));
    if (frame.event === "batch") socket.frames.push(...(frame.data as Frame[]));
    else socket.frames.push(frame);
  });
  ws.accept();
  return socket;
}

/** Opens a socket and waits for its `joined` frame; `resume` asks for what was missed since then. */
export async function join(
  room: string,
  token: string,
  resume?: { since: number; epoch: string },
): Promise<TestSocket> {
  const query = resume ? `?since=${resume.since}&epoch=${resume.epoch}` : "";
  const socket = await openSocket(room, token, undefined, query);
  await waitForFrames(socket, 1);
  return socket;
}

/** The `joined` frame's data of a socket. */
export function joinedOf(socket: TestSocket): { seq: number; epoch: string; recovered?: boolean } {
  const first = socket.frames[0];
  if (first?.event !== "joined") throw new Error(`first frame is not joined: ${JSON.stringify(first)}`);
  return first.data as { seq: number; epoch: string; recovered?: boolean };
}

export { waitForFrames, waitUntil };

/** Waits for the hub to close `socket`, with a timeout. */
export async function waitForClose(socket: TestSocket, timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`socket not closed within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([socket.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends a frame with an ack number and waits for the frame answering it. */
export async function request(socket: TestSocket, event: string, data?: unknown, ack = 1): Promise<Frame> {
  socket.send({ event, data, ack });
  const deadline = Date.now() + 5_000;
  for (;;) {
    const answer = socket.frames.find((frame) => frame.ack === ack);
    if (answer) return answer;
    if (Date.now() > deadline) throw new Error(`no answer to ack ${ack}: ${JSON.stringify(socket.frames)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let settleAck = 1_000_000;

/**
 * Waits until the room has sent this socket everything it was going to send so far: a round trip
 * of `room:info`, whose ack the room sends after any frame it still held (and which is removed from
 * `frames` again). The marker for "and nothing more arrived", instead of a sleep.
 */
export async function settled(socket: TestSocket): Promise<void> {
  const ack = settleAck++;
  await request(socket, "room:info", undefined, ack);
  const index = socket.frames.findIndex((frame) => frame.ack === ack);
  if (index >= 0) socket.frames.splice(index, 1);
}

export function internal(path: string, init: { method?: string; body?: unknown; secret?: string | null } = {}) {
  const headers = new Headers({ "Content-Type": "application/json" });
  const secret = init.secret === undefined ? env.BROADCAST_SECRET : init.secret;
  if (secret !== null) headers.set("Authorization", `Bearer ${secret}`);
  const body =
    init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body);
  return hubFetch(`/internal${path}`, { method: init.method ?? "POST", headers, body });
}

export function broadcast(rooms: string[], event: string, data: unknown) {
  return internal("/broadcast", { body: { rooms, event, data } });
}

export function orderStatus(orderId: string, status = "preparing") {
  return { orderId, status, updatedAt: new Date().toISOString() };
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Moves everything a room stored `days` into the past (its events and grants), as if it had been idle that long. */
export function ageRoom(room: string, days: number) {
  return runInDurableObject(env.ROOMS.getByName(room), (_, state) => {
    state.storage.sql.exec("UPDATE events SET ts = ts - ?", days * DAY_MS);
    state.storage.sql.exec("UPDATE grants SET granted_at = granted_at - ?", days * DAY_MS);
  });
}

export function uniqueId(): string {
  return crypto.randomUUID();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return body.error;
}
