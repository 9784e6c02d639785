/**
 * No lost events, through the client library against the real hub: a client kept away (network
 * cut, hub restart, dead connection) resumes with `since` and `epoch` and its handlers receive
 * exactly what they missed, in order, once, then live events. A room whose history is gone (the
 * hub came back with empty storage: a new epoch) reports `recovery_failed`.
 *
 * The client reaches the hub through a TCP proxy that the tests cut or freeze; the publisher
 * talks to the hub directly.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { connect, type RecoveryFailedInfo, type RoomcastSocket } from "../../client/index";
import type { Publisher } from "../../client/publisher";
import { type Hub, startHub } from "../support/hub-process";
import { freshId, publisherFor, record, signToken, sleep, waitFor } from "./helpers";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

let hub: Hub;
let proxy: TcpProxy;
let publisher: Publisher;
const sockets: RoomcastSocket[] = [];

beforeAll(async () => {
  hub = await startHub();
  proxy = await startTcpProxy(hub.port);
  publisher = publisherFor(hub);
});
afterAll(async () => {
  await proxy?.close();
  await hub?.stop();
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  proxy.restore();
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

/**
 * A staff user's socket through the proxy, joined to a fresh order room. `received` is what the
 * app's handler saw in that room: the orderId of each update, which the tests number 1, 2, 3…
 */
async function subscriber(options: { heartbeatIntervalMs?: number; heartbeatTimeoutMs?: number } = {}) {
  const sub = freshId("u");
  const token = await signToken({ sub, roles: ["staff"] });
  const socket = connect(proxy.url, {
    auth: () => token,
    minReconnectionDelayMs: 100,
    maxReconnectionDelayMs: 400,
    ...options,
  });
  sockets.push(socket);
  const room = `order-${freshId()}`;
  const received: number[] = [];
  socket.on("order-status-updated", (data, from) => {
    if (from === room) received.push(Number(data.orderId));
  });
  const failures = record(socket, "recovery_failed");
  await waitFor(() => socket.connected, 5_000, "the personal room");
  await socket.emitWithAck("join-room", room);
  return { socket, sub, personal: `user-${sub}`, room, received, failures };
}

/** Publishes updates numbered `from`…`to` to `room`, one call each, in order. */
async function publish(room: string, from: number, to: number): Promise<void> {
  for (const n of range(from, to))
    await publisher.to(room).emit("order-status-updated", { orderId: n, status: "cooking" });
}

test("a subscriber cut off while 50 events are published gets exactly those 50 in order, then live ones", async () => {
  const { socket, room, received, failures } = await subscriber();
  await publish(room, 1, 3);
  await waitFor(() => received.length === 3, 5_000, "the live events before the cut");

  const disconnects = record(socket, "room:disconnect");
  const reconnects = record(socket, "room:reconnect");
  proxy.cut();
  await waitFor(
    () => disconnects.calls.some((call) => call.args[1] === room),
    5_000,
    "the room's socket to notice the cut",
  );
  expect(disconnects.calls.find((call) => call.args[1] === room)?.args[0]).toBe("transport");
  // Away for the whole burst: the hub delivers these to nobody.
  await publish(room, 4, 53);
  await sleep(300);
  expect(received).toEqual(range(1, 3));

  proxy.restore();
  await waitFor(() => reconnects.calls.some((call) => call.args[1] === room), 10_000, "the room to rejoin");
  await waitFor(() => received.length >= 53, 5_000, "the missed events");
  await publish(room, 54, 55);
  await waitFor(() => received.length >= 55, 5_000, "live events after the replay");
  await sleep(200);
  expect(received).toEqual(range(1, 55));
  expect(failures.calls).toEqual([]);
});

test("after a hub restart (same storage) the missed events of every room are replayed, the personal room's too", async () => {
  const { socket, personal, room, received, failures } = await subscriber();
  const notifications: string[] = [];
  socket.on("notification", (data, from) => {
    if (from === personal) notifications.push(data.title);
  });
  await publish(room, 1, 2);
  await publisher.to(personal).emit("notification", { title: "before", body: "" });
  await waitFor(() => received.length === 2 && notifications.length === 1, 5_000, "the live events");

  // Keep the client away while the hub restarts, so that the events below go to nobody.
  proxy.cut();
  await hub.restart();
  await publish(room, 3, 52);
  for (const title of ["while away 1", "while away 2"])
    await publisher.to(personal).emit("notification", { title, body: "" });
  const reconnects = record(socket, "room:reconnect");
  proxy.restore();

  await waitFor(() => reconnects.calls.length >= 2, 15_000, "both rooms to rejoin");
  await publish(room, 53, 53);
  await waitFor(() => received.length >= 53, 5_000, "the missed and the live event");
  await sleep(200);
  expect(received).toEqual(range(1, 53));
  // The unread notifications come through the replay, once: a resumed room gets no second copy.
  expect(notifications).toEqual(["before", "while away 1", "while away 2"]);
  expect(failures.calls).toEqual([]);
});

test("a dead (half-open) connection is noticed by the heartbeat and the replay fills the gap", async () => {
  const { socket, room, received, failures } = await subscriber({ heartbeatIntervalMs: 300, heartbeatTimeoutMs: 700 });
  await publish(room, 1, 2);
  await waitFor(() => received.length === 2, 5_000, "the live events");

  const disconnects = record(socket, "room:disconnect");
  proxy.freeze();
  // The hub still believes this socket is fine and sends these into the frozen connection.
  await publish(room, 3, 12);
  await waitFor(() => disconnects.calls.some((call) => call.args[1] === room), 5_000, "the heartbeat timeout");
  expect(disconnects.calls.find((call) => call.args[1] === room)?.args[0]).toBe("heartbeat_timeout");
  await waitFor(() => received.length >= 12, 10_000, "the replay after the rejoin");
  await publish(room, 13, 13);
  await waitFor(() => received.length >= 13, 5_000, "a live event");
  await sleep(200);
  expect(received).toEqual(range(1, 13));
  expect(failures.calls).toEqual([]);
});

// Last in this file: it replaces the hub with one whose storage is empty.
test("a hub that lost its storage (new epoch) makes each room report recovery_failed, then delivers again", async () => {
  const { socket, personal, room, received, failures } = await subscriber();
  await publish(room, 1, 4);
  await waitFor(() => received.length === 4, 5_000, "the live events");
  const connects = record(socket, "room:connect");

  // The same port, a fresh --persist-to: every room starts a new sequence under a new epoch.
  const port = hub.port;
  await hub.stop();
  hub = await startHub({ port });
  publisher = publisherFor(hub);

  await waitFor(() => failures.calls.length >= 2, 20_000, "recovery_failed in both rooms");
  const byRoom = new Map(failures.calls.map((call) => [call.args[1], call.args[0] as RecoveryFailedInfo]));
  expect([...byRoom.keys()].sort()).toEqual([personal, room].sort());
  const info = byRoom.get(room);
  expect(info).toMatchObject({ since: 4, seq: 0, reason: "epoch_changed" });
  expect(info?.currentEpoch).not.toBe(info?.epoch);
  // Reported right after the room's connect, so a refetch in the listener can use the room.
  const joinedAt = connects.calls.find((call) => call.args[0] === room)?.at ?? Number.POSITIVE_INFINITY;
  expect(failures.calls.find((call) => call.args[1] === room)?.at).toBeGreaterThanOrEqual(joinedAt);

  // The new sequence starts at 1, below what the client had seen: it is delivered all the same.
  await publish(room, 5, 6);
  await waitFor(() => received.length >= 6, 5_000, "events of the new epoch");
  await sleep(200);
  expect(received).toEqual(range(1, 6));
  expect(failures.calls).toHaveLength(2);
});
