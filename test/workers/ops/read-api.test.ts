/**
 * What backends can read: a room's live counts, and the hub's totals.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { errorOf, internal, join, joinedOf, orderStatus, tokenFor, uniqueId } from "../helpers";

async function roomSummary(room: string) {
  const res = await internal(`/rooms/${room}`, { method: "GET" });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe("GET /internal/rooms/{room}", () => {
  it("answers members, seq, epoch, last event and grants", async () => {
    const room = `order-${uniqueId()}`;
    await internal(`/rooms/${room}/members/${uniqueId()}`, { method: "PUT" });
    const socket = await join(room, await tokenFor("staff-1", ["staff"]));
    const { epoch } = joinedOf(socket);
    const before = Date.now();
    await internal("/broadcast", { body: { rooms: [room], event: "order-status-updated", data: orderStatus("1") } });
    const summary = await roomSummary(room);
    expect(summary).toEqual({ room, members: 1, seq: 1, epoch, lastEventAt: expect.any(String), grants: 1 });
    expect(Date.parse(summary.lastEventAt as string)).toBeGreaterThanOrEqual(before - 1);
  });

  it("answers zeros for a room that stores nothing, without creating it", async () => {
    const room = `order-${uniqueId()}`;
    expect(await roomSummary(room)).toEqual({ room, members: 0, seq: 0, epoch: null, lastEventAt: null, grants: 0 });
    const stored = await env.ROOMS.getByName(room).summary();
    expect(stored.epoch).toBeNull();
  });

  it("refuses an unknown room name and a missing bearer", async () => {
    const bad = await internal("/rooms/lobby", { method: "GET" });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe("invalid_room");
    expect((await internal(`/rooms/order-${uniqueId()}`, { method: "GET", secret: null })).status).toBe(401);
  });
});

describe("GET /internal/stats", () => {
  it("counts users online and their connections, by role", async () => {
    const user = uniqueId();
    const socket = await join(`user-${user}`, await tokenFor(user, ["pool"]));
    const deadline = Date.now() + 5_000;
    let stats: { usersOnline: number; connections: number; byRole: Record<string, number> };
    for (;;) {
      stats = (await (await internal("/stats", { method: "GET" })).json()) as typeof stats;
      if (stats.byRole.pool && stats.byRole.pool >= 1) break;
      if (Date.now() > deadline) throw new Error(`the pool user never counted: ${JSON.stringify(stats)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(stats.usersOnline).toBeGreaterThanOrEqual(1);
    expect(stats.connections).toBeGreaterThanOrEqual(stats.usersOnline);
    socket.ws.close(1000);
  });
});
