/**
 * Dead connections: a socket whose heartbeats go unanswered is dropped and replaced, while one
 * whose heartbeats are answered stays up. Uses a fake hub, since the real one always answers.
 */
import { afterEach, describe, expect, test } from "vitest";
import { connect, type RoomcastSocket } from "../../client/index";
import { HEARTBEAT_FRAME } from "../../src/protocol";
import { type FakeHub, startFakeHub } from "./fake-hub";
import { record, signToken, sleep, waitFor } from "./helpers";

const INTERVAL_MS = 100;
const TIMEOUT_MS = 150;

let hub: FakeHub | undefined;
let socket: RoomcastSocket | undefined;
afterEach(async () => {
  socket?.disconnect();
  await hub?.close();
});

describe("heartbeat", () => {
  test("an unanswered heartbeat drops the socket and the client reconnects", async () => {
    hub = await startFakeHub({ answerHeartbeats: false });
    const token = await signToken({ sub: "beat1" });
    socket = connect(hub.url, {
      auth: token,
      heartbeatIntervalMs: INTERVAL_MS,
      heartbeatTimeoutMs: TIMEOUT_MS,
      minReconnectionDelayMs: 50,
      maxReconnectionDelayMs: 100,
    });
    const connects = record(socket, "room:connect");
    const disconnects = record(socket, "room:disconnect");

    await connects.waitFor(1);
    await disconnects.waitFor(1, 3_000);
    expect(disconnects.calls[0]?.args).toEqual(["heartbeat_timeout", "user-beat1"]);
    // Not before one interval plus the answer's timeout.
    const firstConnect = connects.calls[0]?.at ?? 0;
    expect((disconnects.calls[0]?.at ?? 0) - firstConnect).toBeGreaterThanOrEqual(INTERVAL_MS + TIMEOUT_MS - 20);

    const first = hub.of("user-beat1")[0];
    expect(first?.frames).toContain(HEARTBEAT_FRAME);
    expect(first?.frames.every((frame) => frame === HEARTBEAT_FRAME)).toBe(true);

    // A new socket replaces the dead one, and the dead one is closed by the client.
    await connects.waitFor(2, 3_000);
    await waitFor(() => hub?.of("user-beat1").length === 2, 1_000, "a second connection");
    await waitFor(() => first?.socket.readyState === first?.socket.CLOSED, 2_000, "the dead socket to close");
  });

  test("answered heartbeats keep the socket up", async () => {
    hub = await startFakeHub({ answerHeartbeats: true });
    const token = await signToken({ sub: "beat2" });
    // A generous timeout: a busy event loop may delay the answer, and this test is not about speed.
    socket = connect(hub.url, { auth: token, heartbeatIntervalMs: INTERVAL_MS, heartbeatTimeoutMs: 1_000 });
    const disconnects = record(socket, "room:disconnect");
    await waitFor(() => socket?.connected === true);
    await sleep(1_500);
    expect(disconnects.calls.map((call) => call.args)).toEqual([]);
    expect(hub.connections).toHaveLength(1);
    const beats = hub.connections[0]?.frames.filter((frame) => frame === HEARTBEAT_FRAME) ?? [];
    expect(beats.length).toBeGreaterThanOrEqual(5);
  });
});
