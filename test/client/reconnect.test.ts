/**
 * The hub goes away and comes back (`hub.restart()`): every room reconnects and rejoins by itself
 * with a fresh token, and the attempts are spaced within the backoff bounds.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { connect, type ReconnectAttemptInfo, type RoomcastSocket } from "../../client/index";
import { type Hub, startHub } from "../support/hub-process";
import { freshId, publisherFor, record, recordInRooms, signToken, waitFor } from "./helpers";

const MIN_DELAY_MS = 100;
const MAX_DELAY_MS = 1_000;

let hub: Hub;
let socket: RoomcastSocket | undefined;
beforeAll(async () => {
  hub = await startHub();
});
afterAll(async () => {
  socket?.disconnect();
  await hub?.stop();
});

test("after a restart every room rejoins with a fresh token, no app code involved", async () => {
  const sub = freshId("u");
  const authCalls: string[] = [];
  socket = connect(hub.url, {
    auth: async ({ reason }) => {
      authCalls.push(reason);
      return signToken({ sub, roles: ["kitchen"] });
    },
    minReconnectionDelayMs: MIN_DELAY_MS,
    maxReconnectionDelayMs: MAX_DELAY_MS,
  });
  const personal = `user-${sub}`;
  const order = `order-${freshId()}`;
  await waitFor(() => socket?.connected === true);
  await socket.emitWithAck("join-room", "restaurant-kitchen");
  await socket.emitWithAck("join-room", order);
  const rooms = [personal, "restaurant-kitchen", order];
  expect(new Set(socket.joinedRooms)).toEqual(new Set(rooms));

  const attempts = record(socket, "room:reconnect_attempt");
  const reconnects = record(socket, "room:reconnect");
  const disconnects = record(socket, "room:disconnect");
  const authBefore = authCalls.length;

  const down = Date.now();
  await hub.restart();
  const up = Date.now();
  await waitFor(() => socket?.joinedRooms.length === 3, 15_000, "all rooms to rejoin");

  // Each room dropped once and came back once.
  expect(disconnects.calls.map((call) => call.args[1]).sort()).toEqual([...rooms].sort());
  expect(reconnects.calls.map((call) => call.args[1]).sort()).toEqual([...rooms].sort());

  for (const room of rooms) {
    const mine = attempts.calls.filter((call) => (call.args[1] as ReconnectAttemptInfo).room === room);
    const tookAttempts = reconnects.calls.find((call) => call.args[1] === room)?.args[0];
    // Attempts are numbered 1..n and the reconnect event reports n.
    expect(mine.map((call) => call.args[0])).toEqual(mine.map((_, index) => index + 1));
    expect(tookAttempts).toBe(mine.length);
    // The hub was down for the whole restart: at least one failed attempt, and no more than the
    // downtime allows at the smallest delay.
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.length).toBeLessThanOrEqual(Math.ceil((up - down) / MIN_DELAY_MS) + 2);
    let previous = disconnects.calls.find((call) => call.args[1] === room)?.at ?? down;
    for (const call of mine) {
      const { delayMs } = call.args[1] as ReconnectAttemptInfo;
      expect(delayMs).toBeGreaterThanOrEqual(MIN_DELAY_MS);
      expect(delayMs).toBeLessThanOrEqual(MAX_DELAY_MS);
      // An attempt starts its delay after the previous attempt (or the drop), plus however long
      // that attempt took to fail: short while the port is closed, but a failed attempt also asks
      // /access and a token, which on a machine with both cores busy took over 2 s. The bound
      // catches a backoff that stalls, not a slow machine.
      expect(call.at - previous).toBeGreaterThanOrEqual(delayMs - 5);
      expect(call.at - previous).toBeLessThan(delayMs + 10_000);
      previous = call.at;
    }
  }
  // Jitter: each room drew its own delays; rooms dropped together do not retry in lockstep.
  const sequences = rooms.map((room) =>
    attempts.calls
      .filter((call) => (call.args[1] as ReconnectAttemptInfo).room === room)
      .map((call) => (call.args[1] as ReconnectAttemptInfo).delayMs)
      .join(","),
  );
  expect(new Set(sequences).size).toBe(rooms.length);

  // Every successful rejoin asked auth for a token.
  expect(authCalls.length - authBefore).toBeGreaterThanOrEqual(3);

  // Events flow again in every room.
  const heard = recordInRooms(socket, rooms, "notification");
  const title = freshId("n");
  const result = await publisherFor(hub).to(rooms).emit("notification", { title, body: "back" });
  expect(result.delivered).toEqual(Object.fromEntries(rooms.map((room) => [room, 1])));
  await heard.waitFor(3);
  expect(heard.calls.map((call) => call.room).sort()).toEqual([...rooms].sort());
});
