/**
 * Idle rooms clean up after themselves: an order room's storage is deleted 30 days after its
 * last activity (the lifetime is shortened here by ageing what the room stored, `ageRoom`), and a client
 * that comes back afterwards is told the history is gone.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ROOM_KINDS } from "../../src/room-policy";
import {
  ageRoom,
  broadcast,
  DAY_MS as DAY,
  internal,
  join,
  joinedOf,
  orderStatus,
  tokenFor,
  uniqueId,
  upgrade,
  waitForFrames,
} from "./helpers";

const ORDER_LIFETIME = ROOM_KINDS.order.idleDays * DAY;

function storedTables(room: string) {
  return runInDurableObject(env.ROOMS.getByName(room), (_, state) =>
    state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
      )
      .toArray()
      .map((row) => row.name),
  );
}

const alarmOf = (room: string) => runInDurableObject(env.ROOMS.getByName(room), (_, state) => state.storage.getAlarm());

describe("room lifetime", () => {
  it("deletes an order room's storage 30 days after its last activity; a resume then gets recovered: false and a new epoch", async () => {
    const room = `order-${uniqueId()}`;
    const customer = uniqueId();
    await internal(`/rooms/${room}/members/${customer}`, { method: "PUT" });
    // Every order room has its alarm from the start, a lifetime after now.
    expect(await alarmOf(room)).toBeGreaterThan(Date.now() + ORDER_LIFETIME - DAY);
    const staff = await tokenFor("staff-1", ["staff"]);
    const first = await join(room, staff);
    const { epoch } = joinedOf(first);
    await broadcast([room], "order-status-updated", orderStatus("1", "done"));
    first.ws.close(1000);

    await ageRoom(room, ROOM_KINDS.order.idleDays + 1);
    expect(await runDurableObjectAlarm(env.ROOMS.getByName(room))).toBe(true);
    expect(await storedTables(room)).toEqual([]);
    expect(await alarmOf(room)).toBeNull();

    const back = await join(room, staff, { since: 1, epoch });
    expect(joinedOf(back)).toMatchObject({ recovered: false, notRecovered: "epoch", seq: 0 });
    expect(joinedOf(back).epoch).not.toBe(epoch);
    // The grant went with the rest.
    expect((await upgrade(room, { token: await tokenFor(customer) })).status).toBe(403);
  });

  it("keeps a room active within its lifetime, and wakes again a lifetime after its last activity", async () => {
    const room = `order-${uniqueId()}`;
    await broadcast([room], "order-status-updated", orderStatus("1", "ready"));
    await ageRoom(room, 10);
    expect(await runDurableObjectAlarm(env.ROOMS.getByName(room))).toBe(true);
    expect(await storedTables(room)).toContain("events");
    const next = await alarmOf(room);
    expect(next).toBeGreaterThan(Date.now() + ORDER_LIFETIME - 11 * DAY);
    expect(next).toBeLessThan(Date.now() + ORDER_LIFETIME - 9 * DAY);
  });

  it("keeps a room while someone is connected, however old its last event", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("staff-2", ["staff"]));
    await broadcast([room], "order-status-updated", orderStatus("1", "ready"));
    await ageRoom(room, ROOM_KINDS.order.idleDays + 5);
    expect(await runDurableObjectAlarm(env.ROOMS.getByName(room))).toBe(true);
    expect(await storedTables(room)).toContain("events");
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
  });

  it("never deletes a personal room: unread notifications wait however long the user is away", async () => {
    const user = uniqueId();
    await broadcast([`user-${user}`], "notification", { title: "Your table is ready", body: "" });
    expect(await alarmOf(`user-${user}`)).toBeNull();
    await ageRoom(`user-${user}`, 400);
    const phone = await join(`user-${user}`, await tokenFor(user));
    expect((await waitForFrames(phone, 2))[1]).toMatchObject({
      event: "notification",
      data: { title: "Your table is ready" },
    });
  });
});
