import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  errorOf,
  internal,
  join,
  joinedOf,
  orderStatus,
  tokenFor,
  uniqueId,
  upgrade,
  waitForClose,
  waitForFrames,
} from "./helpers";

const grant = (room: string, user: string) => internal(`/rooms/${room}/members/${user}`, { method: "PUT" });
const revoke = (room: string, user: string) => internal(`/rooms/${room}/members/${user}`, { method: "DELETE" });

describe("grants to order rooms", () => {
  it("lets a granted customer follow their order, and only theirs", async () => {
    const order = `order-${uniqueId()}`;
    const customer = uniqueId();
    const token = await tokenFor(customer);
    expect((await upgrade(order, { token })).status).toBe(403);

    const res = await grant(order, customer);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ room: order, userId: customer, granted: true });

    const socket = await join(order, token);
    await internal("/broadcast", { body: { rooms: [order], event: "order-status-updated", data: orderStatus("1") } });
    expect((await waitForFrames(socket, 2))[1]?.event).toBe("order-status-updated");

    const otherOrder = `order-${uniqueId()}`;
    expect((await upgrade(otherOrder, { token })).status).toBe(403);
    expect((await upgrade(order, { token: await tokenFor(uniqueId()) })).status).toBe(403);
    socket.ws.close(1000);
  });

  it("stores grants in the room's SQLite storage, where they survive eviction", async () => {
    const order = `order-${uniqueId()}`;
    await grant(order, "c1");
    await grant(order, "c1");
    await grant(order, "c2");
    const stub = env.ROOMS.getByName(order);
    const rows = await runInDurableObject(stub, (_, state) =>
      state.storage.sql.exec("SELECT user_id FROM grants ORDER BY user_id").toArray(),
    );
    expect(rows).toEqual([{ user_id: "c1" }, { user_id: "c2" }]);
    await evictDurableObject(stub);
    expect((await upgrade(order, { token: await tokenFor("c2") })).status).toBe(101);
  });

  it("revokes: closes the granted user's sockets with 4003 and refuses their return", async () => {
    const order = `order-${uniqueId()}`;
    const customer = uniqueId();
    await grant(order, customer);
    const token = await tokenFor(customer);
    const [tab1, tab2] = [await join(order, token), await join(order, token)];
    const staff = await join(order, await tokenFor("staff-1", ["staff"]));

    const res = await revoke(order, customer);
    expect(await res.json()).toEqual({ room: order, userId: customer, granted: false, closed: 2 });
    for (const tab of [tab1, tab2]) {
      expect((await waitForClose(tab)).code).toBe(4003);
      expect(tab.frames.at(-1)).toEqual({ event: "closing", data: { code: 4003, reason: "access revoked" } });
    }
    expect((await upgrade(order, { token })).status).toBe(403);

    await internal("/broadcast", { body: { rooms: [order], event: "order-status-updated", data: orderStatus("1") } });
    expect((await waitForFrames(staff, 2))[1]?.event).toBe("order-status-updated");
  });

  it("does not close a socket its owner holds by role when a grant to the same user is revoked", async () => {
    const order = `order-${uniqueId()}`;
    await grant(order, "staff-2");
    const socket = await join(order, await tokenFor("staff-2", ["staff"]));
    expect(await (await revoke(order, "staff-2")).json()).toMatchObject({ closed: 0 });
    await internal("/broadcast", { body: { rooms: [order], event: "order-status-updated", data: orderStatus("1") } });
    expect((await waitForFrames(socket, 2))[1]?.event).toBe("order-status-updated");
  });

  it("refuses grants to rooms that admit by role only, bad user ids and bad room names", async () => {
    const kitchen = await grant("restaurant-kitchen", "c1");
    expect(kitchen.status).toBe(400);
    expect((await errorOf(kitchen)).code).toBe("room_not_grantable");
    expect((await grant(`order-${uniqueId()}`, "a.b")).status).toBe(400);
    expect((await grant("nope", "c1")).status).toBe(400);
    expect((await internal(`/rooms/order-1/members/c1`, { method: "PUT", secret: "wrong" })).status).toBe(401);
  });
});

describe("what a granted customer may replay", () => {
  const step = (order: string, status: string) =>
    internal("/broadcast", { body: { rooms: [order], event: "order-status-updated", data: orderStatus("1", status) } });
  const statuses = (frames: { event: string; data?: unknown }[]) =>
    frames
      .filter((frame) => frame.event === "order-status-updated")
      .map((frame) => (frame.data as { status: string }).status);

  it("replays only what was published after the grant, even when asked for everything", async () => {
    const order = `order-${uniqueId()}`;
    const [first, second] = [uniqueId(), uniqueId()];
    await grant(order, first);
    const { epoch } = joinedOf(await join(order, await tokenFor(first)));
    await step(order, "for-the-first-customer");
    await step(order, "allergy-notes");
    await grant(order, second);
    await step(order, "shared-from-here");

    const back = await join(order, await tokenFor(second), { since: 0, epoch });
    expect(back.frames[0]).toMatchObject({ event: "joined", data: { recovered: true, seq: 3 } });
    const frames = await waitForFrames(back, 2);
    expect(statuses(frames)).toEqual(["shared-from-here"]);
    // Staff, admitted by role, still replay the whole history.
    const staff = await join(order, await tokenFor("staff-9", ["staff"]), { since: 0, epoch });
    expect(statuses(await waitForFrames(staff, 4))).toEqual([
      "for-the-first-customer",
      "allergy-notes",
      "shared-from-here",
    ]);
  });

  it("replays nothing that was published while the customer was revoked", async () => {
    const order = `order-${uniqueId()}`;
    const customer = uniqueId();
    await grant(order, customer);
    const token = await tokenFor(customer);
    const { epoch } = joinedOf(await join(order, token));
    await step(order, "while-granted");
    await revoke(order, customer);
    await step(order, "while-revoked");
    await grant(order, customer);
    await step(order, "granted-again");

    const back = await join(order, token, { since: 0, epoch });
    expect(statuses(await waitForFrames(back, 2))).toEqual(["granted-again"]);
  });
});
