/**
 * What Socket.io code relies on, against a real hub: the socket's own connect/disconnect/
 * connect_error once per transition (rooms have their own events), the `socket.io` manager,
 * `timeout(ms)`, `socket.id`, the callback form of `auth`, Socket.io's option names, no `send()`,
 * refused extra arguments, one delivery per publish however many rooms it named, `onAny` without
 * the hub's own frames, and rooms held by hooks that a `leave-room` elsewhere cannot close.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { type ConnectOptions, connect, RoomcastError, type RoomcastSocket } from "../../client/index";
import { startHub } from "../support/hub-process";
import { freshId, hubForFile, publisherFor, record, signToken, waitFor } from "./helpers";

const fixture = hubForFile();
afterEach(() => {
  vi.restoreAllMocks();
});

async function open(roles: string[] = [], options: Partial<ConnectOptions> = {}) {
  const sub = freshId("u");
  const token = await signToken({ sub, roles });
  const socket = connect(fixture.hub.url, {
    auth: () => token,
    minReconnectionDelayMs: 50,
    maxReconnectionDelayMs: 200,
    ...options,
  });
  fixture.keep(socket);
  return { socket, sub, personal: `user-${sub}`, token };
}

/** A round trip on the personal room: everything the hub sent before its answer has arrived. */
async function roundTrip(socket: RoomcastSocket): Promise<void> {
  await socket.emitWithAck("room:info");
}

describe("the socket as a whole", () => {
  test("connect and disconnect fire once per transition, however many rooms are joined", async () => {
    const { socket, personal } = await open(["staff"], { autoConnect: false });
    const connects = record(socket, "connect");
    const disconnects = record(socket, "disconnect");
    const roomConnects = record(socket, "room:connect");
    socket.connect();
    await connects.waitFor(1);
    expect(connects.calls[0]?.args).toEqual([]);
    const rooms = [`order-${freshId()}`, `order-${freshId()}`, "restaurant-kitchen"];
    await Promise.all(rooms.map((room) => socket.emitWithAck("join-room", room)));
    expect(roomConnects.calls.map((call) => call.args[0]).sort()).toEqual([personal, ...rooms].sort());

    // A Socket.io app rejoins its rooms on "connect": it must run once, not once per room.
    socket.disconnect();
    await disconnects.waitFor(1);
    socket.connect();
    await connects.waitFor(2);
    await waitFor(() => socket.joinedRooms.length === 4, 5_000, "every room back");
    await roundTrip(socket);
    expect(connects.calls).toHaveLength(2);
    expect(disconnects.calls.map((call) => call.args)).toEqual([["client"]]);
  });

  test("socket.id is new on every connection and undefined while disconnected", async () => {
    const { socket } = await open();
    await waitFor(() => socket.connected);
    const first = socket.id;
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    socket.disconnect();
    expect(socket.id).toBeUndefined();
    expect(socket.disconnected).toBe(true);
    socket.connect();
    await waitFor(() => socket.connected);
    expect(socket.id).toMatch(/^[0-9a-f]{32}$/);
    expect(socket.id).not.toBe(first);
  });

  test("connect_error fires for the socket's own failed attempts only", async () => {
    const { socket } = await open([]);
    await waitFor(() => socket.connected);
    const socketErrors = record(socket, "connect_error");
    const roomErrors = record(socket, "room:connect_error");
    await expect(socket.emitWithAck("join-room", "admin-dashboard")).rejects.toMatchObject({ code: "forbidden" });
    expect(roomErrors.calls.map((call) => call.args[0].code)).toEqual(["forbidden"]);
    expect(socketErrors.calls).toEqual([]);
  });

  test("the socket.io manager reports reconnection of the socket: attempt, error, reconnect", async () => {
    const restartable = await startHub();
    try {
      const token = await signToken({ roles: [] });
      const socket = connect(restartable.url, { auth: { token }, reconnectionDelay: 100, reconnectionDelayMax: 300 });
      fixture.keep(socket);
      await waitFor(() => socket.connected, 10_000, "the first connection");
      const seen: string[] = [];
      socket.io.on("reconnect_attempt", (attempt) => seen.push(`attempt ${attempt}`));
      socket.io.on("reconnect_error", (error) => seen.push(`error ${error instanceof RoomcastError}`));
      socket.io.on("reconnect", (attempt) => seen.push(`reconnect ${attempt}`));
      const connects = record(socket, "connect");
      await restartable.restart({ kill: true });
      await connects.waitFor(1, 60_000);
      const last = seen.at(-1);
      expect(last).toMatch(/^reconnect \d+$/);
      const attempts = seen.filter((entry) => entry.startsWith("attempt"));
      expect(attempts[0]).toBe("attempt 1");
      expect(last).toBe(`reconnect ${attempts.length}`);
      // Every failed attempt before the last was reported as a reconnect_error.
      expect(seen.filter((entry) => entry === "error true")).toHaveLength(attempts.length - 1);
    } finally {
      await restartable.stop();
    }
  });

  test("reconnect_failed fires once the attempts are used up", async () => {
    const token = await signToken({ roles: [] });
    // Nothing listens on this port: every attempt fails.
    const socket = connect("http://127.0.0.1:9", { auth: token, reconnectionAttempts: 2, reconnectionDelay: 20 });
    fixture.keep(socket);
    const failed = vi.fn();
    socket.io.on("reconnect_failed", failed);
    const errors = record(socket, "connect_error");
    await waitFor(() => failed.mock.calls.length === 1, 10_000, "reconnect_failed");
    expect(errors.calls.map((call) => call.args[0].willRetry)).toEqual([true, true, false]);
  });
});

describe("emitting", () => {
  test("timeout(ms).emit calls its ack error first; emitWithAck rejects with timeout", async () => {
    const { socket } = await open(["kitchen"]);
    await socket.emitWithAck("join-room", "restaurant-kitchen");
    const answer = await new Promise<unknown[]>((done) =>
      socket.timeout(2_000).emit("room:info", undefined, (...args) => done(args)),
    );
    expect(answer).toEqual([null, expect.objectContaining({ room: expect.stringMatching(/^user-/) })]);
    const refused = await new Promise<unknown[]>((done) =>
      socket.timeout(2_000).emit("room:info", { x: 1 } as never, (...args) => done(args)),
    );
    expect(refused[0]).toMatchObject({ code: "invalid_payload" });
    const kitchen = await socket.to("restaurant-kitchen").timeout(2_000).emitWithAck("room:info");
    expect(kitchen.room).toBe("restaurant-kitchen");
    // An ack that cannot come in 1 ms times out, with the client's timeout error.
    await expect(socket.timeout(1).emitWithAck("room:info")).rejects.toMatchObject({ code: "timeout" });
    await expect(socket.timeout(3_000).emitWithAck("join-room", `order-${freshId()}`)).resolves.toBe(true);
  });

  test("extra arguments are refused instead of dropping the ack", async () => {
    const { socket } = await open();
    const emit = socket.emit as (...args: unknown[]) => unknown;
    expect(() => emit.call(socket, "room:info", undefined, "extra", () => {})).toThrow(/got 3 arguments/);
    expect(() => emit.call(socket, "join-room", "order-1", "extra", () => {})).toThrow(TypeError);
  });

  test("there is no send(): Socket.io's 'message' event has no meaning on the hub", async () => {
    const { socket } = await open();
    expect((socket as unknown as { send?: unknown }).send).toBeUndefined();
  });
});

describe("options and auth", () => {
  test("auth accepts Socket.io's callback form", async () => {
    const token = await signToken({ roles: [] });
    const reasons: string[] = [];
    const socket = connect(fixture.hub.url, {
      auth: (cb) => {
        reasons.push(cb.reason);
        setTimeout(() => cb({ token }), 10);
      },
    });
    fixture.keep(socket);
    await waitFor(() => socket.connected, 5_000, "a connection with the called-back token");
    expect(reasons).toEqual(["connect"]);
  });

  test("an unknown option is a console warning (and a type error)", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const token = await signToken();
    const options = { auth: token, autoConnect: false, reconnectDelay: 100 };
    fixture.keep(connect(fixture.hub.url, options as ConnectOptions));
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("unknown connect() option reconnectDelay"));
  });

  test("Socket.io's option names are read: reconnectionDelay, reconnectionDelayMax, timeout, ackTimeout", async () => {
    const token = await signToken();
    const socket = connect("http://127.0.0.1:9", {
      auth: token,
      reconnectionDelay: 30,
      reconnectionDelayMax: 40,
      timeout: 5_000,
      transports: ["websocket"],
    });
    fixture.keep(socket);
    const scheduled = record(socket, "room:reconnect_scheduled");
    await scheduled.waitFor(3, 10_000);
    for (const call of scheduled.calls) {
      expect(call.args[0].delayMs).toBeGreaterThanOrEqual(30);
      expect(call.args[0].delayMs).toBeLessThanOrEqual(40);
    }
  });
});

describe("delivery", () => {
  test("a publish naming several joined rooms reaches on() and onAny() once, and each room's own listeners", async () => {
    const { socket, personal } = await open(["staff"]);
    const order = `order-${freshId()}`;
    await socket.emitWithAck("join-room", order);
    await socket.emitWithAck("join-room", "restaurant-kitchen");
    const heard = record(socket, "order-status-updated");
    const any: string[] = [];
    socket.onAny((event, _data, room) => any.push(`${event}@${room}`));
    const perRoom: string[] = [];
    const stops = [order, "restaurant-kitchen"].map((room) =>
      socket.onRoomEvent(room, (event, _data, from) => perRoom.push(`${event}@${from}`)),
    );
    const publisher = publisherFor(fixture.hub);
    const result = await publisher
      .to(order)
      .to("restaurant-kitchen")
      .emit("order-status-updated", { orderId: 1, status: "ready" });
    expect(result.delivered).toEqual({ [order]: 1, "restaurant-kitchen": 1 });
    // A later marker to the personal room: once it is here, both copies of the publish are too.
    await publisher.to(personal).emit("notification", { title: "marker", body: "" });
    await waitFor(() => any.some((entry) => entry.startsWith("notification")), 5_000, "the marker");
    await waitFor(() => perRoom.length === 2, 5_000, "both rooms' copies");
    expect(heard.calls).toHaveLength(1);
    expect(any.filter((entry) => entry.startsWith("order-status-updated"))).toHaveLength(1);
    expect(perRoom.sort()).toEqual([`order-status-updated@${order}`, "order-status-updated@restaurant-kitchen"]);
    for (const stop of stops) stop();
  });

  test("onAny never sees the hub's joined and closing frames", async () => {
    const { socket, sub } = await open([]);
    const room = `order-${freshId()}`;
    const publisher = publisherFor(fixture.hub);
    await publisher.grant(room, sub);
    const any: string[] = [];
    socket.onAny((event) => any.push(event));
    const joined = record(socket, "joined");
    await socket.emitWithAck("join-room", room);
    const disconnects = record(socket, "room:disconnect");
    await publisher.revoke(room, sub);
    await disconnects.waitFor(1);
    expect(joined.calls.length).toBeGreaterThanOrEqual(1);
    await publisher.to(`user-${sub}`).emit("notification", { title: "marker", body: "" });
    await waitFor(() => any.includes("notification"), 5_000, "the marker");
    expect(any).not.toContain("joined");
    expect(any).not.toContain("closing");
  });

  test("leave-room cannot close a room that a hold (a mounted hook) still needs", async () => {
    const { socket } = await open(["kitchen"]);
    const release = socket.hold("restaurant-kitchen");
    await socket.emitWithAck("join-room", "restaurant-kitchen");
    await expect(socket.emitWithAck("leave-room", "restaurant-kitchen")).resolves.toBe(true);
    await roundTrip(socket);
    expect(socket.roomState("restaurant-kitchen")).toBe("joined");
    const disconnects = record(socket, "room:disconnect");
    release();
    await disconnects.waitFor(1);
    expect(disconnects.calls[0]?.args).toEqual(["client", "restaurant-kitchen"]);
    expect(socket.roomState("restaurant-kitchen")).toBeUndefined();
  });

  test("listen() adds listeners and returns the function that removes exactly those", async () => {
    const { socket, personal } = await open();
    await waitFor(() => socket.connected);
    const titles: string[] = [];
    const other: string[] = [];
    socket.on("notification", (data) => other.push(data.title));
    const stop = socket.listen({ notification: (data) => titles.push(data.title) });
    const publisher = publisherFor(fixture.hub);
    await publisher.to(personal).emit("notification", { title: "one", body: "" });
    await waitFor(() => other.length === 1);
    stop();
    await publisher.to(personal).emit("notification", { title: "two", body: "" });
    await waitFor(() => other.length === 2);
    expect(titles).toEqual(["one"]);
  });
});
