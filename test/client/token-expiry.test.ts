/**
 * Token expiry: the hub closes a socket whose token expired (4001); the client asks `auth` for a
 * new token and resumes by itself, losing no event published meanwhile. A token that stays
 * expired is refreshed once, then reported.
 */
import { describe, expect, test } from "vitest";
import { connect } from "../../client/index";
import { freshId, hubForFile, publisherFor, record, recordInRooms, signToken, sleep, waitFor } from "./helpers";

const file = hubForFile();

test("an expiring token is refreshed through auth and every room resumes", async () => {
  const sub = freshId("u");
  const authCalls: string[] = [];
  let expiredSeen = false;
  const socket = connect(file.hub.url, {
    auth: async ({ reason }) => {
      authCalls.push(reason);
      if (reason === "token_expired") expiredSeen = true;
      // Short-lived tokens until the hub has said one expired, long-lived ones afterwards.
      return signToken({ sub, roles: ["kitchen"], expiresIn: expiredSeen ? 3600 : 3 });
    },
    minReconnectionDelayMs: 100,
    maxReconnectionDelayMs: 500,
  });
  file.keep(socket);
  const personal = `user-${sub}`;
  const disconnects = record(socket, "room:disconnect");
  const reconnects = record(socket, "room:reconnect");
  const errors = record(socket, "room:connect_error");
  await waitFor(() => socket.connected);
  await socket.emitWithAck("join-room", "restaurant-kitchen");

  // The hub closes both sockets when the 3 s tokens expire.
  await disconnects.waitFor(2, 10_000);
  expect(disconnects.calls.map((call) => call.args).sort()).toEqual(
    [
      ["token_expired", personal],
      ["token_expired", "restaurant-kitchen"],
    ].sort(),
  );
  await reconnects.waitFor(2, 5_000);
  expect(reconnects.calls.map((call) => call.args).sort()).toEqual(
    [
      [1, personal],
      [1, "restaurant-kitchen"],
    ].sort(),
  );
  expect(authCalls).toContain("token_expired");
  expect(errors.calls).toEqual([]);
  expect(new Set(socket.joinedRooms)).toEqual(new Set([personal, "restaurant-kitchen"]));

  // The resumed sockets carry the new token: they stay up past the old expiry and get events.
  await sleep(1_500);
  expect(disconnects.calls).toHaveLength(2);
  const heard = recordInRooms(socket, [personal, "restaurant-kitchen"], "notification");
  const result = await publisherFor(file.hub).to([personal, "restaurant-kitchen"]).emit("notification", {
    title: "still here",
    body: "after refresh",
  });
  expect(result.delivered).toEqual({ [personal]: 1, "restaurant-kitchen": 1 });
  await heard.waitFor(2);
});

test("a token expiring mid-stream loses nothing: every event arrives once, in order", async () => {
  const sub = freshId("u");
  let expiredSeen = false;
  const socket = connect(file.hub.url, {
    auth: async ({ reason }) => {
      if (reason === "token_expired") {
        expiredSeen = true;
        // A refresh takes a round trip to the app's backend: events keep coming meanwhile.
        await sleep(300);
      }
      return signToken({ sub, roles: ["staff"], expiresIn: expiredSeen ? 3600 : 3 });
    },
    minReconnectionDelayMs: 100,
    maxReconnectionDelayMs: 500,
  });
  file.keep(socket);
  const room = `order-${freshId()}`;
  const received: number[] = [];
  socket.on("order-status-updated", (data, from) => {
    if (from === room) received.push(Number(data.orderId));
  });
  const failures = record(socket, "recovery_failed");
  const disconnects = record(socket, "room:disconnect");
  const reconnects = record(socket, "room:reconnect");
  await socket.emitWithAck("join-room", room);

  // Publish without pause until the room has expired, rejoined, and gone on for a while.
  const publisher = publisherFor(file.hub);
  const publishedAt: number[] = [];
  const deadline = Date.now() + 20_000;
  let extra = 0;
  while (extra < 10 && Date.now() < deadline) {
    const n = publishedAt.length + 1;
    await publisher.to(room).emit("order-status-updated", { orderId: n, status: "cooking" });
    publishedAt.push(Date.now());
    if (reconnects.calls.some((call) => call.args[1] === room)) extra++;
    await sleep(20);
  }
  const total = publishedAt.length;
  await waitFor(() => received.length >= total, 5_000, `${total} events`);
  await sleep(200);

  const dropped = disconnects.calls.find((call) => call.args[1] === room);
  const back = reconnects.calls.find((call) => call.args[1] === room);
  expect(dropped?.args[0]).toBe("token_expired");
  expect(back).toBeDefined();
  // Some events really were published while the room was away.
  const whileAway = publishedAt.filter((at) => at > (dropped?.at ?? 0) && at < (back?.at ?? 0));
  expect(whileAway.length).toBeGreaterThan(0);
  expect(received).toEqual(Array.from({ length: total }, (_, index) => index + 1));
  expect(failures.calls).toEqual([]);
});

test("a token that is still expired after one refresh is reported once and not retried", async () => {
  // Past the hub's clock tolerance, and the same token whatever auth is asked.
  const stale = await signToken({ sub: freshId("u"), expiresIn: -60 });
  const authCalls: string[] = [];
  const socket = connect(file.hub.url, {
    auth: ({ reason }) => {
      authCalls.push(reason);
      return stale;
    },
    minReconnectionDelayMs: 50,
    maxReconnectionDelayMs: 100,
  });
  file.keep(socket);
  const errors = record(socket, "room:connect_error");
  const attempts = record(socket, "room:reconnect_attempt");
  await errors.waitFor(2);
  await sleep(800);

  expect(authCalls).toEqual(["connect", "token_expired"]);
  expect(errors.calls.map((call) => [call.args[0].code, call.args[0].status, call.args[0].willRetry])).toEqual([
    ["token_expired", 401, true],
    ["token_expired", 401, false],
  ]);
  // The one retry is the refresh; nothing after the final refusal.
  expect(attempts.calls.map((call) => call.args[0])).toEqual([1]);
  expect(socket.connected).toBe(false);
});

/** A WebSocket class that counts the upgrades the client attempts. */
function countingWebSocket() {
  const counter = { upgrades: 0 };
  class Counting extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      counter.upgrades++;
    }
  }
  return { counter, WebSocket: Counting };
}

describe("an expired fixed token cannot storm the hub", () => {
  test.each([
    ["a string", (token: string) => token],
    ["{ token }", (token: string) => ({ token })],
  ])("expired past the hub's tolerance, given as %s: one attempt, token_expired, willRetry false", async (_, auth) => {
    const stale = await signToken({ sub: freshId("u"), expiresIn: -60 });
    const { counter, WebSocket } = countingWebSocket();
    const socket = connect(file.hub.url, {
      auth: auth(stale),
      WebSocket,
      minReconnectionDelayMs: 20,
      maxReconnectionDelayMs: 50,
    });
    file.keep(socket);
    const errors = record(socket, "connect_error");
    const scheduled = record(socket, "room:reconnect_scheduled");
    await errors.waitFor(1);
    expect(errors.calls.map((call) => call.args[0])).toEqual([
      expect.objectContaining({ code: "token_expired", status: 401, willRetry: false }),
    ]);
    expect(errors.calls[0]?.args[0].message).toMatch(/fixed token .* cannot be refreshed/);
    expect(scheduled.calls).toEqual([]);
    expect(counter.upgrades).toBe(1);
    expect(socket.roomState(socket.personalRoom ?? "")).toBeUndefined();
  });

  test("expired within the hub's clock tolerance (admitted, then closed with 4001): it stops after that close", async () => {
    const nearly = await signToken({ sub: freshId("u"), expiresIn: -1 });
    const { counter, WebSocket } = countingWebSocket();
    const socket = connect(file.hub.url, {
      auth: nearly,
      WebSocket,
      minReconnectionDelayMs: 20,
      maxReconnectionDelayMs: 50,
    });
    file.keep(socket);
    const errors = record(socket, "connect_error");
    const disconnects = record(socket, "disconnect");
    const scheduled = record(socket, "room:reconnect_scheduled");
    await errors.waitFor(1, 10_000);
    expect(errors.calls.map((call) => call.args[0])).toEqual([
      expect.objectContaining({ code: "token_expired", willRetry: false }),
    ]);
    // Admitted and closed with 4001 (a hub that tolerates clock skew), or refused at once.
    expect(disconnects.calls.length).toBeLessThanOrEqual(1);
    for (const call of disconnects.calls) expect(call.args).toEqual(["token_expired"]);
    // Nothing more was scheduled: the room ended with that error.
    expect(scheduled.calls).toEqual([]);
    expect(counter.upgrades).toBe(1);
    expect(socket.connected).toBe(false);
  });

  test("an auth function that keeps giving tokens the hub closes at once stops after two upgrades", async () => {
    const sub = freshId("u");
    const { counter, WebSocket } = countingWebSocket();
    const socket = connect(file.hub.url, {
      auth: () => signToken({ sub, expiresIn: -1 }),
      WebSocket,
      minReconnectionDelayMs: 20,
      maxReconnectionDelayMs: 50,
    });
    file.keep(socket);
    const errors = record(socket, "connect_error");
    await waitFor(() => errors.calls.some((call) => !call.args[0].willRetry), 10_000, "the final error");
    expect(errors.calls.at(-1)?.args[0]).toMatchObject({ code: "token_expired", willRetry: false });
    expect(counter.upgrades).toBeLessThanOrEqual(2);
  });
});
