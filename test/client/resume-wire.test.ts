/**
 * What the client asks for and what it lets through, against a fake hub that can do what the real
 * one will not do on demand: close with 1011, replay frames the client already has, answer a
 * resume with `recovered: false` followed by unread notifications, and rate-limit with 429.
 */
import { afterEach, describe, expect, test } from "vitest";
import { connect, type RoomcastSocket } from "../../client/index";
import { type FakeConnection, type FakeHub, startFakeHub } from "./fake-hub";
import { record, signToken, sleep, waitFor } from "./helpers";

let hub: FakeHub | undefined;
let socket: RoomcastSocket | undefined;
afterEach(async () => {
  socket?.disconnect();
  await hub?.close();
  hub = undefined;
});

const fast = { minReconnectionDelayMs: 50, maxReconnectionDelayMs: 100 };

/** A notification frame titled by its seq, as the hub would send it in `room`. */
const note = (room: string, seq: number, epoch = "e1") => ({
  event: "notification",
  room,
  data: { id: `n${seq}`, title: String(seq), body: "" },
  seq,
  epoch,
});

async function personalSocket(sub: string, hubUrl: string) {
  socket = connect(hubUrl, { auth: await signToken({ sub }), ...fast });
  const titles: number[] = [];
  socket.on("notification", (data) => titles.push(Number(data.title)));
  return { socket, titles };
}

describe("resume requests", () => {
  test("after a 1011 close the rejoin carries since and epoch; a replay overlapping what arrived is delivered once", async () => {
    const room = "user-wire1";
    hub = await startFakeHub({
      joined: (joinedRoom, query, index) =>
        index === 0
          ? { room: joinedRoom, userId: "wire1", seq: 10, epoch: "e1" }
          : { room: joinedRoom, userId: "wire1", seq: 15, epoch: query.get("epoch"), recovered: true },
      onConnection: (connection: FakeConnection, index) => {
        if (index === 0) {
          for (const seq of [11, 12, 13]) connection.send(note(room, seq));
          setTimeout(() => connection.socket.close(1011, "delivery failed"), 50);
        } else {
          // 12 and 13 again (a replay overlapping what was live), then the missed 14 and 15, then live 16.
          for (const seq of [12, 13, 14, 15, 16]) connection.send(note(room, seq));
        }
      },
    });
    const { socket: client, titles } = await personalSocket("wire1", hub.url);
    const disconnects = record(client, "room:disconnect");
    await waitFor(() => hub?.of(room).length === 2, 3_000, "the rejoin");
    await waitFor(() => titles.length >= 6, 3_000, "the events");
    await sleep(100);

    expect(disconnects.calls.map((call) => call.args)).toEqual([["server_error", room]]);
    const [first, second] = hub.of(room);
    expect(first?.query.has("since")).toBe(false);
    expect(first?.query.has("epoch")).toBe(false);
    expect(Object.fromEntries(second?.query ?? [])).toMatchObject({ since: "13", epoch: "e1" });
    expect(titles).toEqual([11, 12, 13, 14, 15, 16]);
  });

  test("leave-room forgets the cursor; disconnect() and connect() keep it", async () => {
    hub = await startFakeHub({
      joined: (room) => ({ room, userId: "wire2", seq: 5, epoch: "e1" }),
    });
    socket = connect(hub.url, { auth: await signToken({ sub: "wire2", roles: ["staff"] }), ...fast });
    await socket.emitWithAck("join-room", "order-7");
    await socket.emitWithAck("leave-room", "order-7");
    await socket.emitWithAck("join-room", "order-7");
    socket.disconnect();
    socket.connect();
    await waitFor(() => hub?.of("order-7").length === 3, 3_000, "three connections");
    expect(hub.of("order-7").map((connection) => connection.query.get("since"))).toEqual([null, null, "5"]);
    expect(hub.of("user-wire2").map((connection) => connection.query.get("since"))).toEqual([null, "5"]);
  });
});

describe("recovery failure", () => {
  test("recovered: false fires recovery_failed once, then unread notifications and live events flow", async () => {
    const room = "user-wire3";
    hub = await startFakeHub({
      joined: (joinedRoom, _query, index) =>
        index === 0
          ? { room: joinedRoom, userId: "wire3", seq: 7, epoch: "e1" }
          : { room: joinedRoom, userId: "wire3", seq: 3, epoch: "e2", recovered: false },
      onConnection: (connection, index) => {
        if (index === 0) {
          connection.send(note(room, 8));
          setTimeout(() => connection.socket.close(1011), 50);
        } else {
          // Unread notifications of the new epoch (older seqs) come first, then live ones.
          connection.send(note(room, 2, "e2"));
          connection.send(note(room, 4, "e2"));
          connection.send(note(room, 2, "e2"));
        }
      },
    });
    const { socket: client, titles } = await personalSocket("wire3", hub.url);
    const failures = record(client, "recovery_failed");
    await waitFor(() => titles.length >= 3, 3_000, "the events");
    await sleep(100);
    expect(failures.calls.map((call) => call.args)).toEqual([
      [{ since: 8, epoch: "e1", seq: 3, currentEpoch: "e2", reason: "epoch_changed" }, room],
    ]);
    expect(titles).toEqual([8, 2, 4]);
  });
});

describe("rate limits", () => {
  test("a 429 is retried no sooner than Retry-After, reported as retryable, never as a refusal", async () => {
    hub = await startFakeHub({
      refuseUpgrade: (_room, attempt) => (attempt === 1 ? { status: 429, headers: { "Retry-After": "1" } } : null),
      access: () => ({
        status: 429,
        headers: { "Retry-After": "1" },
        body: { error: { code: "rate_limited", message: "too many connections for this user" } },
      }),
    });
    socket = connect(hub.url, { auth: await signToken({ sub: "wire4" }), ...fast });
    const errors = record(socket, "room:connect_error");
    const attempts = record(socket, "room:reconnect_attempt");
    const connects = record(socket, "room:connect");
    await connects.waitFor(1, 5_000);

    expect(errors.calls.map((call) => call.args[0])).toEqual([
      expect.objectContaining({ code: "rate_limited", status: 429, room: "user-wire4", willRetry: true }),
    ]);
    expect(attempts.calls.map((call) => call.args[1].delayMs)).toEqual([expect.any(Number)]);
    expect(attempts.calls[0]?.args[1].delayMs).toBeGreaterThanOrEqual(1_000);
    expect((connects.calls[0]?.at ?? 0) - (errors.calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(990);
  });
});
