import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HEARTBEAT_ACK_FRAME, HEARTBEAT_FRAME } from "../../src/protocol";
import {
  broadcast,
  join,
  orderStatus,
  request,
  signToken,
  tokenFor,
  uniqueId,
  waitForClose,
  waitForFrames,
} from "./helpers";

describe("hibernation", () => {
  it("answers the heartbeat without waking the object", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("k1", ["kitchen"]));
    const stub = env.ROOMS.getByName(room);
    await evictDurableObject(stub);

    socket.send(HEARTBEAT_FRAME);
    const frames = await waitForFrames(socket, 2);
    expect(JSON.stringify(frames[1])).toBe(HEARTBEAT_ACK_FRAME);
    // Eviction refuses an object that is not running: the heartbeat left it asleep.
    await expect(evictDurableObject(stub)).rejects.toThrow();
  });

  it("keeps each socket's identity in its attachment across hibernation", async () => {
    const room = "restaurant-kitchen";
    const socket = await join(room, await tokenFor("k2", ["kitchen", "staff"], "Kai"));
    await evictDurableObject(env.ROOMS.getByName(room));
    const answer = await request(socket, "room:info", undefined, 1);
    expect(answer.data).toMatchObject({ room, you: { userId: "k2", name: "Kai", roles: ["kitchen", "staff"] } });
  });

  it("delivers broadcasts to sockets accepted before the object was evicted", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await tokenFor("k3", ["kitchen"]));
    await evictDurableObject(env.ROOMS.getByName(room));
    const res = await broadcast([room], "order-status-updated", orderStatus("9", "ready"));
    expect(await res.json()).toEqual({ delivered: { [room]: 1 } });
    expect((await waitForFrames(socket, 2))[1]?.data).toMatchObject({ status: "ready" });
  });
});

describe("token expiry", () => {
  it("closes a socket with 4001 when its token expires, and keeps the others", async () => {
    const room = `order-${uniqueId()}`;
    const shortLived = await join(room, await signToken({ sub: "k4", roles: ["kitchen"], expiresIn: 2 }));
    const longLived = await join(room, await tokenFor("k5", ["kitchen"]));
    expect((await waitForClose(shortLived, 6_000)).code).toBe(4001);
    expect(shortLived.frames.at(-1)).toEqual({ event: "closing", data: { code: 4001, reason: "token expired" } });
    const res = await broadcast([room], "order-status-updated", orderStatus("1"));
    expect(await res.json()).toEqual({ delivered: { [room]: 1 } });
    expect((await waitForFrames(longLived, 2))[1]?.event).toBe("order-status-updated");
  });

  it("closes it with 4001 even after the object was evicted in between", async () => {
    const room = `order-${uniqueId()}`;
    const socket = await join(room, await signToken({ sub: "k6", roles: ["kitchen"], expiresIn: 2 }));
    await evictDurableObject(env.ROOMS.getByName(room));
    expect((await waitForClose(socket, 6_000)).code).toBe(4001);
  });

  it("moves the alarm earlier when a socket whose token expires sooner joins later", async () => {
    const room = `order-${uniqueId()}`;
    const later = await join(room, await signToken({ sub: "k9", roles: ["kitchen"], expiresIn: 4 }));
    const soon = await join(room, await signToken({ sub: "k10", roles: ["kitchen"], expiresIn: 1 }));
    // Closed at its own expiry, not at the earlier socket's.
    expect((await waitForClose(soon, 2_500)).code).toBe(4001);
    expect(later.ws.readyState).toBe(WebSocket.OPEN);
    expect((await waitForClose(later, 6_000)).code).toBe(4001);
  });

  it("reschedules the alarm for the next token to expire", async () => {
    const room = `order-${uniqueId()}`;
    const soon = await join(room, await signToken({ sub: "k7", roles: ["kitchen"], expiresIn: 1 }));
    const later = await join(room, await signToken({ sub: "k8", roles: ["kitchen"], expiresIn: 3 }));
    expect((await waitForClose(soon, 5_000)).code).toBe(4001);
    expect(later.ws.readyState).toBe(WebSocket.OPEN);
    expect((await waitForClose(later, 6_000)).code).toBe(4001);
    // What is left is the room's idle-lifetime alarm (order rooms: 30 days), not another expiry.
    const alarm = await runInDurableObject(env.ROOMS.getByName(room), (_, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now() + 29 * 24 * 60 * 60 * 1000);
  });
});
