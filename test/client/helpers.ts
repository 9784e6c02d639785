/**
 * Shared helpers of the client tests: tokens signed like the hub expects, bounded waits, and
 * recorders for socket events.
 */
import nodeConsole from "node:console";
import { afterAll, afterEach, beforeAll } from "vitest";
import type { ListenEvent, ListenEvents } from "../../client/events";
import type { RoomcastSocket } from "../../client/index";
import { createPublisher, type Publisher } from "../../client/publisher";
import { signToken as sign } from "../../src/sign-token.mjs";
import { E2E_BROADCAST_SECRET, E2E_JWT_SECRET, type Hub, startHub } from "../support/hub-process";
import { waitUntil } from "../support/wait";

export interface TokenSpec {
  sub?: string;
  roles?: string[];
  name?: string;
  /** Seconds from now; negative for an already expired token. Default one hour. */
  expiresIn?: number;
}

/** A fresh id for rooms and users, so tests never share state on one hub. */
export function freshId(prefix = "t"): string {
  return `${prefix}${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
}

export function signToken(spec: TokenSpec = {}): Promise<string> {
  return sign(E2E_JWT_SECRET, { ...spec, sub: spec.sub ?? freshId("u") });
}

export function publisherFor(hub: Hub): Publisher {
  return createPublisher({ url: hub.url, secret: E2E_BROADCAST_SECRET });
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export const waitFor = waitUntil;

/**
 * happy-dom's fetch prints every failed request to the page's console (Node's own console), as a
 * browser's devtools would. While a test has stopped its hub on purpose, the clients' attempts to
 * reach it (the access check before each rejoin) are refused, and those lines are expected noise.
 * This drops exactly them, refused connections to `port`, until the returned function is called;
 * anything else still prints.
 */
export function muteRefusedConnections(port: number): () => void {
  const original = nodeConsole.error;
  nodeConsole.error = (...args: unknown[]) => {
    const first = args[0] as { code?: unknown; port?: unknown } | undefined;
    if (args.length === 1 && first?.code === "ECONNREFUSED" && first.port === port) return;
    original.apply(nodeConsole, args);
  };
  return () => {
    nodeConsole.error = original;
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Everything one socket event delivered, with when. */
export interface Recorded<A extends unknown[]> {
  calls: { args: A; at: number }[];
  /** Waits until at least `count` calls arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  stop(): void;
}

export function record<E extends ListenEvent>(socket: RoomcastSocket, event: E): Recorded<Parameters<ListenEvents[E]>> {
  const calls: { args: Parameters<ListenEvents[E]>; at: number }[] = [];
  const listener = ((...args: Parameters<ListenEvents[E]>) => {
    calls.push({ args, at: Date.now() });
  }) as ListenEvents[E];
  socket.on(event, listener);
  return {
    calls,
    waitFor: (count, timeoutMs = 5_000) => waitFor(() => calls.length >= count, timeoutMs, `${count} × ${event}`),
    stop: () => socket.off(event, listener),
  };
}

/** Waits for `count` occurrences of `event` on `socket`; resolves with their arguments. */
export async function waitForEvents<E extends ListenEvent>(
  socket: RoomcastSocket,
  event: E,
  count = 1,
  timeoutMs = 5_000,
): Promise<Parameters<ListenEvents[E]>[]> {
  const recorded = record(socket, event);
  try {
    await recorded.waitFor(count, timeoutMs);
    return recorded.calls.map((call) => call.args);
  } finally {
    recorded.stop();
  }
}

/**
 * Records every copy of `event` each of `rooms` receives (`socket.onRoomEvent`): a publish naming
 * several rooms reaches `on` listeners once, but each room's own listeners each time.
 */
export function recordInRooms(socket: RoomcastSocket, rooms: readonly string[], event: string) {
  const calls: { room: string; data: unknown }[] = [];
  const stops = rooms.map((room) =>
    socket.onRoomEvent(room, (name, data) => {
      if (name === event) calls.push({ room, data });
    }),
  );
  return {
    calls,
    waitFor: (count: number, timeoutMs = 5_000) =>
      waitFor(() => calls.length >= count, timeoutMs, `${count} × ${event} across ${rooms.join(", ")}`),
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}

/**
 * One hub for a test file, started before its first test and stopped after its last, and the
 * sockets its tests open (`keep`), disconnected after each test.
 */
export function hubForFile(): { readonly hub: Hub; keep<T extends RoomcastSocket>(socket: T): T } {
  let hub: Hub | undefined;
  const sockets: RoomcastSocket[] = [];
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => {
    await hub?.stop();
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });
  return {
    get hub() {
      if (!hub) throw new Error("the hub starts in beforeAll: use it inside tests");
      return hub;
    },
    keep(socket) {
      sockets.push(socket);
      return socket;
    },
  };
}
