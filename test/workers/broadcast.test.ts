import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RoomObject } from "../../src/room/room-object";
import { internalApi } from "../../src/worker/internal-api";
import {
  broadcast,
  errorOf,
  hubFetch,
  internal,
  join,
  joinedOf,
  orderStatus,
  settled,
  sleep,
  tokenFor,
  uniqueId,
  waitForFrames,
} from "./helpers";

const newOrder = (orderId: string) => ({
  orderId,
  customerName: "Ada",
  items: [{ name: "Pad thai", quantity: 2, notes: "no peanuts" }],
  createdAt: new Date().toISOString(),
});

describe("POST /internal/broadcast", () => {
  it("delivers to every socket of the named rooms and to no other", async () => {
    const [a, b, c] = [uniqueId(), uniqueId(), uniqueId()];
    const staff = await tokenFor("staff-1", ["staff"]);
    const inA1 = await join(`order-${a}`, staff);
    const inA2 = await join(`order-${a}`, await tokenFor("kitchen-1", ["kitchen"]));
    const inB = await join(`order-${b}`, staff);
    const inC = await join(`order-${c}`, staff);

    const res = await internal("/broadcast", {
      body: { rooms: [`order-${a}`, `order-${b}`], event: "order-status-updated", data: orderStatus(a, "ready") },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ delivered: { [`order-${a}`]: 2, [`order-${b}`]: 1 } });

    for (const socket of [inA1, inA2]) {
      const frames = await waitForFrames(socket, 2);
      expect(frames[1]).toEqual({
        event: "order-status-updated",
        room: `order-${a}`,
        data: expect.objectContaining({ orderId: a, status: "ready" }),
        seq: 1,
        epoch: joinedOf(socket).epoch,
      });
    }
    expect((await waitForFrames(inB, 2))[1]?.room).toBe(`order-${b}`);
    await settled(inC);
    expect(inC.frames.map((frame) => frame.event)).toEqual(["joined"]);
  });

  it("counts rooms named twice once and reports empty rooms as 0", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("s", ["staff"]));
    const empty = `order-${uniqueId()}`;
    const res = await internal("/broadcast", {
      body: { rooms: [room, room, empty], event: "new-order", data: newOrder("42") },
    });
    expect(await res.json()).toEqual({ delivered: { [room]: 1, [empty]: 0 } });
    await settled(socket);
    expect(socket.frames).toHaveLength(2);
  });

  it("reaches a personal room with a notification", async () => {
    const user = uniqueId();
    const socket = await join(`user-${user}`, await tokenFor(user));
    const data = { id: "n1", title: "Your table is ready", body: "Table 4", type: "table" };
    const res = await internal("/broadcast", { body: { rooms: [`user-${user}`], event: "notification", data } });
    expect(res.status).toBe(200);
    expect((await waitForFrames(socket, 2))[1]).toMatchObject({
      event: "notification",
      room: `user-${user}`,
      data,
      seq: 1,
    });
  });

  describe("refuses bad calls and touches no room", () => {
    it.each([
      ["a body that is not JSON", "{", /not valid UTF-8 JSON/],
      ["no rooms", { rooms: [], event: "new-order", data: {} }, /rooms/],
      ["more than 100 rooms", { rooms: Array.from({ length: 101 }, (_, i) => `order-${i}`), event: "x" }, /rooms/],
      ["an unknown room", { rooms: ["order-1", "lobby"], event: "new-order", data: newOrder("1") }, /rooms\.1/],
      ["an unknown event", { rooms: ["order-1"], event: "drop-tables", data: {} }, /event/],
      ["an inherited event name", { rooms: ["order-1"], event: "__proto__", data: {} }, /event/],
      ["a payload of the wrong type", { rooms: ["order-1"], event: "new-order", data: "hi" }, /data/],
      [
        "a wrong field",
        { rooms: ["order-1"], event: "new-order", data: { ...newOrder("1"), items: [{ name: "x", quantity: 0 }] } },
        /data\.items\.0\.quantity/,
      ],
      [
        "an unknown field",
        { rooms: ["order-1"], event: "order-status-updated", data: { ...orderStatus("1"), hacked: true } },
        /data/,
      ],
      ["an unknown top-level field", { rooms: ["order-1"], event: "new-order", data: newOrder("1"), x: 1 }, /x/],
      [
        "a bad timestamp",
        { rooms: ["order-1"], event: "new-order", data: { ...newOrder("1"), createdAt: "soon" } },
        /createdAt/,
      ],
    ])("400 for %s", async (_, body, message) => {
      const room = `order-${uniqueId()}`;
      const socket = await join(room, await tokenFor("s", ["staff"]));
      const payload = typeof body === "string" ? body : JSON.stringify(body);
      const res = await internal("/broadcast", { body: payload.replace("order-1", room) });
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toMatch(/bad_request|invalid_room/);
      expect(error.message).toMatch(message);
      await settled(socket);
      expect(socket.frames).toHaveLength(1);
    });

    it("400 for a body that is not UTF-8, and the next good body publishes", async () => {
      const room = `order-${uniqueId()}`;
      const socket = await join(room, await tokenFor("s", ["staff"]));
      const text = JSON.stringify({
        rooms: [room],
        event: "new-order",
        data: { ...newOrder("1"), customerName: "Zoë" },
      });
      const bytes = new TextEncoder().encode(text);
      // Cut inside "ë" (two bytes): the body ends in the first byte of a character.
      const cut = bytes.slice(0, text.indexOf("ë") + 1);
      const headers = { "Content-Type": "application/json", Authorization: `Bearer ${env.BROADCAST_SECRET}` };
      const bad = await hubFetch("/internal/broadcast", { method: "POST", headers, body: cut });
      expect(bad.status).toBe(400);
      expect((await errorOf(bad)).message).toMatch(/not valid UTF-8 JSON/);
      const good = await hubFetch("/internal/broadcast", { method: "POST", headers, body: bytes });
      expect(good.status).toBe(200);
      expect((await waitForFrames(socket, 2))[1]).toMatchObject({
        event: "new-order",
        seq: 1,
        data: { customerName: "Zoë" },
      });
    });

    it("413 for a body over 64 KiB", async () => {
      const data = { ...newOrder("1"), customerName: "x".repeat(70_000) };
      const res = await internal("/broadcast", { body: { rooms: ["order-1"], event: "new-order", data } });
      expect(res.status).toBe(413);
      expect((await errorOf(res)).code).toBe("payload_too_large");
    });

    it.each([
      ["no Authorization", null],
      ["a wrong secret", "wrong-secret-0123456789abcdef0123456789abcdef"],
      ["a prefix of the secret", "test-broadcast"],
      ["an empty bearer", ""],
    ])("401 with %s", async (_, secret) => {
      const room = `order-${uniqueId()}`;
      const socket = await join(room, await tokenFor("s", ["staff"]));
      const res = await internal("/broadcast", {
        secret,
        body: { rooms: [room], event: "order-status-updated", data: orderStatus("1") },
      });
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe("unauthorized");
      await settled(socket);
      expect(socket.frames).toHaveLength(1);
    });

    it("404 for unknown internal routes, after the secret check", async () => {
      expect((await internal("/nope", { secret: null })).status).toBe(401);
      expect((await internal("/nope")).status).toBe(404);
    });
  });
});

describe("the Worker's shortcut for publishes", () => {
  const viaRouter = (secret: string, body: unknown) =>
    internalApi.fetch(
      new Request("https://hub.test/broadcast", {
        method: "POST",
        headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
      env,
    );

  it("publishes and refuses exactly as the internal API's router does (the dev relay's way in)", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("s", ["staff"]));
    const body = { rooms: [room], event: "order-status-updated", data: orderStatus("1", "ready") };
    const bad = { ...body, data: "hi" };
    const secret = env.BROADCAST_SECRET as string;

    const answers = [
      [await internal("/broadcast", { body }), await viaRouter(secret, body)],
      [await internal("/broadcast", { body: bad }), await viaRouter(secret, bad)],
      [await internal("/broadcast", { body, secret: "wrong" }), await viaRouter("wrong", body)],
    ];
    const seen = await Promise.all(answers.flat().map(async (res) => [res.status, await res.json()]));
    expect(seen).toEqual([
      [200, { delivered: { [room]: 1 } }],
      [200, { delivered: { [room]: 1 } }],
      [400, { error: { code: "bad_request", message: expect.stringMatching(/^data/) } }],
      [400, seen[2]?.[1]],
      [401, { error: { code: "unauthorized", message: expect.stringContaining("Bearer") } }],
      [401, seen[4]?.[1]],
    ]);
    const frames = await waitForFrames(socket, 3);
    expect(frames.slice(1).map((frame) => [frame.event, frame.seq])).toEqual([
      ["order-status-updated", 1],
      ["order-status-updated", 2],
    ]);
  });

  it("takes only POST /internal/broadcast itself: a query string still publishes, other paths and methods are routed", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("s", ["staff"]));
    const body = { rooms: [room], event: "order-status-updated", data: orderStatus("1", "ready") };
    expect((await internal("/broadcast?trace=1", { body })).status).toBe(200);
    expect((await internal("/broadcast/", { body })).status).toBe(404);
    expect((await internal("/broadcast", { method: "GET" })).status).toBe(404);
    expect((await internal("/broadcast", { method: "PUT", body })).status).toBe(404);
    await settled(socket);
    expect(socket.frames.map((frame) => frame.event)).toEqual(["joined", "order-status-updated"]);
  });
});

describe("bursts", () => {
  it("coalesces events published within the same millisecond into batch frames, in order, each once", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("k", ["kitchen"]));
    const stub = env.ROOMS.getByName(room);
    // 200 publishes in one turn of the object: a burst far faster than a few per millisecond.
    await runInDurableObject(stub, (instance: RoomObject) => {
      for (let i = 0; i < 200; i++) instance.publish("order-status-updated", { orderId: "1", status: `s${i}` });
    });
    const frames = await waitForFrames(socket, 201);
    expect(frames.slice(1).map((frame) => frame.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(frames.slice(1).map((frame) => (frame.data as { status: string }).status)).toEqual(
      Array.from({ length: 200 }, (_, i) => `s${i}`),
    );
    // The joined frame, the first event alone, then batches. Once one event is held, the rest of
    // the synchronous burst joins it; only the first few may each start a new millisecond on a
    // busy machine, so "far fewer than 200" is what is promised.
    expect(socket.messages).toBeLessThan(20);
  });

  it("sends events that are a millisecond or more apart one by one", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("k", ["kitchen"]));
    for (let i = 0; i < 3; i++) {
      await broadcast([room], "order-status-updated", orderStatus("1", `s${i}`));
      await sleep(5);
    }
    await waitForFrames(socket, 4);
    expect(socket.messages).toBe(4);
  });

  it("never gives a socket that joins during a burst an event twice", async () => {
    const room = `order-${uniqueId()}`;
    const first = await join(room, await tokenFor("k", ["kitchen"]));
    const { epoch } = joinedOf(first);
    const stub = env.ROOMS.getByName(room);
    await runInDurableObject(stub, (instance: RoomObject) => {
      for (let i = 0; i < 20; i++) instance.publish("order-status-updated", { orderId: "1", status: `s${i}` });
    });
    const late = await join(room, await tokenFor("k2", ["kitchen"]), { since: 0, epoch });
    await waitForFrames(late, 21);
    await settled(late);
    expect(late.frames.slice(1).map((frame) => frame.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
