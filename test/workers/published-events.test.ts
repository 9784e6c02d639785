/**
 * What backends may publish: the app's own events declared in src/app-events.ts (and only to
 * the room kinds they list), the fields a real order carries, one id per notification, and the
 * publish id on every frame a keyed publish delivers.
 */
import { describe, expect, it } from "vitest";
import { errorOf, internal, join, sleep, tokenFor, uniqueId, waitForFrames } from "./helpers";

const poolStatus = { poolId: "main", status: "busy", occupancy: 41, capacity: 60, updatedAt: new Date().toISOString() };

const order = (extra: Record<string, unknown> = {}) => ({
  orderId: uniqueId(),
  customerName: "Ada",
  items: [
    {
      name: "Pad thai",
      quantity: 2,
      sku: "PT-01",
      price: 1250,
      options: [
        { name: "Spice", value: "mild" },
        { name: "Extra tofu", price: 200 },
      ],
    },
  ],
  currency: "EUR",
  total: 2900,
  createdAt: new Date().toISOString(),
  ...extra,
});

describe("app-defined events", () => {
  it("delivers pool-status-updated to pool-staff", async () => {
    const socket = await join("pool-staff", await tokenFor(uniqueId(), ["pool"]));
    const res = await internal("/broadcast", {
      body: { rooms: ["pool-staff"], event: "pool-status-updated", data: poolStatus },
    });
    expect(res.status).toBe(200);
    expect((await res.json()) as unknown).toMatchObject({ delivered: { "pool-staff": 1 } });
    const frames = await waitForFrames(socket, 2);
    expect(frames.at(-1)).toMatchObject({ event: "pool-status-updated", room: "pool-staff", data: poolStatus });
  });

  it("refuses it, with 400, for a room kind it is not declared for, and delivers nothing", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("s", ["staff"]));
    const res = await internal("/broadcast", {
      body: { rooms: ["pool-staff", room], event: "pool-status-updated", data: poolStatus },
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("bad_request");
    expect(error.message).toBe(
      `rooms.1: pool-status-updated may be sent only to pool-staff (its rooms in src/app-events.ts), not to ${room}`,
    );
    await sleep(50);
    expect(socket.frames).toHaveLength(1);
  });

  it("validates its payload strictly, naming the field", async () => {
    const res = await internal("/broadcast", {
      body: { rooms: ["pool-staff"], event: "pool-status-updated", data: { ...poolStatus, status: "packed" } },
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/^data\.status: /);
    const extra = await internal("/broadcast", {
      body: { rooms: ["pool-staff"], event: "pool-status-updated", data: { ...poolStatus, temp: 28 } },
    });
    expect((await errorOf(extra)).message).toMatch(/temp/);
  });

  it("answers an unknown event with a 400 that says where to declare it", async () => {
    const res = await internal("/broadcast", { body: { rooms: ["pool-staff"], event: "pool-status", data: {} } });
    expect(res.status).toBe(400);
    const { message } = await errorOf(res);
    expect(message).toContain('"pool-status" is not an event backends may send');
    expect(message).toContain("pool-status-updated");
    expect(message).toContain("src/app-events.ts");
  });
});

describe("new-order", () => {
  it("accepts sku, prices in minor units with a currency, item options and a total", async () => {
    const socket = await join("restaurant-kitchen", await tokenFor("k", ["kitchen"]));
    const data = order();
    const res = await internal("/broadcast", { body: { rooms: ["restaurant-kitchen"], event: "new-order", data } });
    expect(res.status).toBe(200);
    const frames = await waitForFrames(socket, 2);
    expect(frames.find((frame) => frame.event === "new-order")?.data).toEqual(data);
  });

  it.each([
    ["a price without a currency", order({ currency: undefined }), /^data\.currency: is required/],
    ["a decimal price", order({ items: [{ name: "Soup", quantity: 1, price: 12.5 }] }), /data\.items\.0\.price/],
    ["a lower-case currency", order({ currency: "eur" }), /data\.currency: must be an ISO 4217 code/],
    ["an unknown item field", order({ items: [{ name: "Soup", quantity: 1, colour: "red" }] }), /colour/],
  ])("refuses %s", async (_, data, message) => {
    const res = await internal("/broadcast", { body: { rooms: ["restaurant-kitchen"], event: "new-order", data } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(message);
  });
});

describe("notification ids", () => {
  it("takes the publish id as the notification's id, and delivers a repeat once", async () => {
    const user = uniqueId();
    const socket = await join(`user-${user}`, await tokenFor(user));
    const body = { id: "paid-7", rooms: [`user-${user}`], event: "notification", data: { title: "Paid", body: "" } };
    expect((await internal("/broadcast", { body })).status).toBe(200);
    expect((await internal("/broadcast", { body })).status).toBe(200);
    const frames = await waitForFrames(socket, 2);
    expect(frames[1]).toMatchObject({ event: "notification", data: { id: "paid-7" }, publishId: "paid-7" });
    // Marking it read by the publish id works: they are the same id.
    const marker = await internal("/broadcast", {
      body: { rooms: [`user-${user}`], event: "notification", data: { title: "marker", body: "" } },
    });
    expect(marker.status).toBe(200);
    await waitForFrames(socket, 3);
    expect(socket.frames.filter((frame) => frame.event === "notification")).toHaveLength(2);
  });

  it("takes data.id as the publish id: a repeat of the same notification delivers once", async () => {
    const user = uniqueId();
    const socket = await join(`user-${user}`, await tokenFor(user));
    const body = { rooms: [`user-${user}`], event: "notification", data: { id: "table-4", title: "Ready", body: "" } };
    const first = await internal("/broadcast", { body });
    const again = await internal("/broadcast", { body });
    expect([first.status, again.status]).toEqual([200, 200]);
    const frames = await waitForFrames(socket, 2);
    expect(frames[1]).toMatchObject({ data: { id: "table-4" }, publishId: "table-4" });
    const marker = await internal("/broadcast", {
      body: { rooms: [`user-${user}`], event: "notification", data: { title: "marker", body: "" } },
    });
    expect(marker.status).toBe(200);
    await waitForFrames(socket, 3);
    expect(socket.frames.map((frame) => (frame.data as { title?: string }).title)).toEqual([
      undefined,
      "Ready",
      "marker",
    ]);
  });

  it("refuses two different ids with a 400 that explains they are one", async () => {
    const user = uniqueId();
    const res = await internal("/broadcast", {
      body: { id: "a", rooms: [`user-${user}`], event: "notification", data: { id: "b", title: "t", body: "" } },
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/^id: a notification's id is its publish id/);
  });
});

describe("publish ids on frames", () => {
  it("puts a keyed publish's id on the frame of every room it reaches, and none on an unkeyed one", async () => {
    const rooms = [`order-${uniqueId()}`, `order-${uniqueId()}`];
    const token = await tokenFor("s", ["staff"]);
    const sockets = [await join(rooms[0] as string, token), await join(rooms[1] as string, token)];
    const data = { orderId: 1, status: "ready" };
    await internal("/broadcast", { body: { id: "pub-1", rooms, event: "order-status-updated", data } });
    await internal("/broadcast", { body: { rooms, event: "order-status-updated", data } });
    for (const socket of sockets) {
      const frames = await waitForFrames(socket, 3);
      expect(frames[1]).toMatchObject({ publishId: "pub-1", seq: 1 });
      expect(frames[2]).not.toHaveProperty("publishId");
    }
  });
});
