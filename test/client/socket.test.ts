/**
 * The client against a real hub: the personal room, joining and leaving, events from several
 * rooms, emitting to rooms, refusals reported once, revoked access, and answered heartbeats.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type ConnectOptions, connect, RoomcastError, type RoomcastSocket } from "../../client/index";
import type { Publisher } from "../../client/publisher";
import { type Hub, startHub } from "../support/hub-process";
import { freshId, publisherFor, record, recordInRooms, signToken, sleep, waitFor, waitForEvents } from "./helpers";

let hub: Hub;
let publisher: Publisher;
const sockets: RoomcastSocket[] = [];

beforeAll(async () => {
  hub = await startHub();
  publisher = publisherFor(hub);
});
afterAll(async () => {
  await hub?.stop();
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
});

/** A socket for a fresh user, with fast retries so that a retry would show within a test. */
async function open(roles: string[] = [], options: Partial<ConnectOptions> = {}) {
  const sub = freshId("u");
  const token = await signToken({ sub, roles });
  const authCalls: string[] = [];
  const socket = connect(hub.url, {
    auth: ({ reason }) => {
      authCalls.push(reason);
      return token;
    },
    minReconnectionDelayMs: 50,
    maxReconnectionDelayMs: 200,
    ...options,
  });
  sockets.push(socket);
  return { socket, sub, personal: `user-${sub}`, authCalls };
}

describe("personal room", () => {
  test("connecting joins user-{sub} by itself", async () => {
    const { socket, personal } = await open();
    const [connected] = await waitForEvents(socket, "room:connect");
    expect(connected).toEqual([personal]);
    expect(socket.connected).toBe(true);
    expect(socket.userId).toBe(personal.slice(5));
    const info = await socket.emitWithAck("room:info");
    expect(info.room).toBe(personal);
    expect(info.members).toBe(1);
  });

  test("a token the hub rejects is reported once, with its code, and not retried", async () => {
    const authCalls: string[] = [];
    const socket = connect(hub.url, {
      auth: ({ reason }) => {
        authCalls.push(reason);
        // A well-formed JWT with a readable sub, signed with the wrong key.
        return "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5Iiwicm9sZXMiOltdLCJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl";
      },
      minReconnectionDelayMs: 50,
      maxReconnectionDelayMs: 100,
    });
    sockets.push(socket);
    const errors = record(socket, "room:connect_error");
    const attempts = record(socket, "room:reconnect_attempt");
    await errors.waitFor(1);
    await sleep(800);
    expect(errors.calls).toHaveLength(1);
    const error = errors.calls[0]?.args[0];
    expect(error).toBeInstanceOf(RoomcastError);
    expect(error).toMatchObject({ code: "unauthorized", status: 401, room: "user-mallory", willRetry: false });
    expect(attempts.calls).toHaveLength(0);
    expect(authCalls).toEqual(["connect"]);
    expect(socket.connected).toBe(false);
  });
});

describe("rooms", () => {
  test("join-room acks true, events arrive with the room's name, leave-room stops them", async () => {
    const { socket } = await open(["staff"]);
    const room = `order-${freshId()}`;
    const acks: unknown[][] = [];
    socket.emit("join-room", room, (...args) => acks.push(args));
    await waitFor(() => acks.length === 1, 5_000, "the join ack");
    expect(acks).toEqual([[true]]);
    expect(socket.roomState(room)).toBe("joined");

    const updates = record(socket, "order-status-updated");
    const sent = await publisher.to(room).emit("order-status-updated", { orderId: 7, status: "preparing" });
    expect(sent.delivered).toEqual({ [room]: 1 });
    await updates.waitFor(1);
    expect(updates.calls[0]?.args).toEqual([{ orderId: 7, status: "preparing" }, room]);

    const disconnects = record(socket, "room:disconnect");
    await expect(socket.emitWithAck("leave-room", room)).resolves.toBe(true);
    expect(disconnects.calls.map((call) => call.args)).toEqual([["client", room]]);
    expect(socket.roomState(room)).toBeUndefined();
    const after = await publisher.to(room).emit("order-status-updated", { orderId: 7, status: "ready" });
    expect(after.delivered).toEqual({ [room]: 0 });
    await sleep(200);
    expect(updates.calls).toHaveLength(1);
  });

  test("one listener hears events from every joined room, each with its room", async () => {
    const { socket, personal } = await open(["kitchen"]);
    await waitFor(() => socket.connected);
    const orderA = `order-${freshId()}`;
    const orderB = `order-${freshId()}`;
    await Promise.all([
      socket.emitWithAck("join-room", "restaurant-kitchen"),
      socket.emitWithAck("join-room", orderA),
      socket.emitWithAck("join-room", orderB),
    ]);
    expect(new Set(socket.joinedRooms)).toEqual(new Set([personal, "restaurant-kitchen", orderA, orderB]));

    const heard = record(socket, "notification");
    const everything: [string, string][] = [];
    socket.onAny((event, _data, room) => everything.push([event, room]));
    // One publish per room: each reaches the one listener with its room's name.
    const targets = [personal, orderA, orderB];
    for (const room of targets) {
      const result = await publisher.to(room).emit("notification", { title: `to ${room}`, body: "hello" });
      expect(result.delivered).toEqual({ [room]: 1 });
    }
    await heard.waitFor(3);
    // Across rooms there is no order: compare as sets.
    expect(heard.calls.map((call) => `${call.args[0].title}|${call.args[1]}`).sort()).toEqual(
      targets.map((room) => `to ${room}|${room}`).sort(),
    );
    // The kitchen room was not addressed and heard nothing.
    expect(heard.calls.map((call) => call.args[1])).not.toContain("restaurant-kitchen");
    expect(
      everything
        .filter(([event]) => event === "notification")
        .map(([, room]) => room)
        .sort(),
    ).toEqual([...targets].sort());
  });

  test("one publish naming several joined rooms reaches on() once and each room's own listeners once each", async () => {
    const { socket, personal } = await open(["kitchen"]);
    await waitFor(() => socket.connected);
    const order = `order-${freshId()}`;
    await socket.emitWithAck("join-room", order);
    const heard = record(socket, "notification");
    const perRoom = recordInRooms(socket, [personal, order], "notification");
    await publisher.to(personal).to(order).emit("notification", { title: "both", body: "" });
    await perRoom.waitFor(2);
    expect(perRoom.calls.map((call) => call.room).sort()).toEqual([personal, order].sort());
    expect(heard.calls.map((call) => call.args[0].title)).toEqual(["both"]);
  });

  test("emit goes to the personal room unless to(room) names another one", async () => {
    const { socket, personal } = await open(["kitchen"]);
    await socket.emitWithAck("join-room", "restaurant-kitchen");
    const mine = await socket.emitWithAck("room:info");
    const kitchen = await socket.to("restaurant-kitchen").emitWithAck("room:info");
    expect(mine.room).toBe(personal);
    expect(kitchen.room).toBe("restaurant-kitchen");

    const viaCallback = await new Promise<unknown[]>((done) =>
      socket.to("restaurant-kitchen").emit("room:info", undefined, (...args) => done(args)),
    );
    expect(viaCallback).toEqual([expect.objectContaining({ room: "restaurant-kitchen" })]);

    const notJoined = await socket
      .to("pool-staff")
      .emitWithAck("room:info")
      .catch((error: unknown) => error);
    expect(notJoined).toMatchObject({ code: "not_joined", room: "pool-staff" });
  });

  test("a hub error answer rejects emitWithAck with the hub's code", async () => {
    const { socket } = await open();
    await waitFor(() => socket.connected);
    // Deliberately wrong at runtime: room:info takes no data.
    const error = await socket.emitWithAck("room:info", { extra: true } as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RoomcastError);
    expect(error).toMatchObject({ code: "invalid_payload" });
    // The socket survives a refused frame.
    await expect(socket.emitWithAck("room:info")).resolves.toMatchObject({ members: 1 });
  });

  test("emits made before the room is joined are sent once it is", async () => {
    const { socket } = await open(["kitchen"]);
    socket.emit("join-room", "restaurant-kitchen");
    const info = await socket.to("restaurant-kitchen").emitWithAck("room:info");
    expect(info.room).toBe("restaurant-kitchen");
  });
});

describe("refused joins", () => {
  test.each([
    ["restaurant-kitchen", "forbidden", 403],
    ["admin-dashboard", "forbidden", 403],
    ["not-a-room", "invalid_room", 400],
  ])("joining %s is refused once with %s (%i) and never retried", async (room, code, status) => {
    const { socket, authCalls } = await open([]);
    await waitFor(() => socket.connected);
    const errors = record(socket, "room:connect_error");
    const attempts = record(socket, "room:reconnect_attempt");
    const callsBefore = authCalls.length;

    const acks: unknown[][] = [];
    socket.emit("join-room", room, (...args) => acks.push(args));
    await waitFor(() => acks.length === 1, 5_000, "the join ack");
    // Long enough for several retries at 50-200 ms, had there been any.
    await sleep(1_000);

    expect(acks[0]?.[0]).toBe(false);
    expect(acks[0]?.[1]).toMatchObject({ code, status, room });
    expect(errors.calls.map((call) => call.args[0])).toEqual([
      expect.objectContaining({ code, room, willRetry: false }),
    ]);
    expect(attempts.calls).toHaveLength(0);
    // One attempt asks auth once: exactly one attempt was made.
    expect(authCalls.length - callsBefore).toBe(1);
    expect(socket.roomState(room)).toBeUndefined();
    await expect(socket.emitWithAck("join-room", room)).rejects.toMatchObject({ code });
  });

  test("an order room opens after a backend grant and closes for good on revoke", async () => {
    const { socket, sub } = await open([]);
    await waitFor(() => socket.connected);
    const room = `order-${freshId()}`;
    await expect(socket.emitWithAck("join-room", room)).rejects.toMatchObject({ code: "forbidden", status: 403 });

    await expect(publisher.grant(room, sub)).resolves.toEqual({ room, userId: sub, granted: true });
    await expect(socket.emitWithAck("join-room", room)).resolves.toBe(true);

    const disconnects = record(socket, "room:disconnect");
    const attempts = record(socket, "room:reconnect_attempt");
    const revoked = await publisher.revoke(room, sub);
    expect(revoked).toMatchObject({ room, userId: sub, granted: false, closed: 1 });
    await disconnects.waitFor(1);
    expect(disconnects.calls[0]?.args).toEqual(["access_revoked", room]);
    await sleep(600);
    expect(attempts.calls).toHaveLength(0);
    expect(socket.roomState(room)).toBeUndefined();
    expect(socket.connected).toBe(true);
  });
});

describe("rate limits", () => {
  test("joins the hub refuses with 429 (over 60 connections per user in 10 s) are retried, never refusals", async () => {
    // Locally the limit counts in 10 s windows aligned to the clock: start early in one, so that
    // the burst below overflows it rather than straddling two.
    const intoWindow = Date.now() % 10_000;
    if (intoWindow > 3_000) await sleep(10_000 - intoWindow + 100);
    const { socket, personal } = await open(["staff"], { minReconnectionDelayMs: 200, maxReconnectionDelayMs: 1_000 });
    const errors = record(socket, "room:connect_error");
    const rooms = Array.from({ length: 65 }, () => `order-${freshId()}`);
    const acks: [string, boolean][] = [];
    for (const room of rooms) socket.emit("join-room", room, (ok) => acks.push([room, ok]));
    await waitFor(() => acks.length === rooms.length, 30_000, "every join ack");

    expect(acks.filter(([, ok]) => !ok)).toEqual([]);
    // The personal room joins on its own (not through join-room), and may itself have been
    // refused with 429 and be waiting for its retry: wait for it rather than read state early.
    await waitFor(() => socket.joinedRooms.includes(personal), 30_000, "the personal room's retried join");
    expect(new Set(socket.joinedRooms)).toEqual(new Set([personal, ...rooms]));
    // The limit was hit (66 connections), and every failure said it would be retried.
    expect(errors.calls.length).toBeGreaterThan(0);
    expect(errors.calls.filter((call) => !call.args[0].willRetry)).toEqual([]);
    // /access does not count (or report) the per-user budget, so these read as network errors.
    for (const call of errors.calls) expect(["rate_limited", "network_error"]).toContain(call.args[0].code);
  });
});

describe("heartbeat against the hub", () => {
  test("the hub answers the exact heartbeat frame, so the timeout never fires", async () => {
    // An unanswered heartbeat would drop the socket 250 + 1000 ms after joining; this watches
    // two such spans. The timeout leaves room for a loaded machine.
    const { socket } = await open([], { heartbeatIntervalMs: 250, heartbeatTimeoutMs: 1_000 });
    await waitFor(() => socket.connected);
    const disconnects = record(socket, "room:disconnect");
    await sleep(2_500);
    expect(disconnects.calls.map((call) => call.args)).toEqual([]);
    expect(socket.connected).toBe(true);
  });
});
