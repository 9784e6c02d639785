/**
 * The data points the hub writes to its Analytics Engine dataset (METRICS): what an operator
 * counts, by room kind and code, and never a user id, a name or a room's id.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import {
  broadcast,
  join,
  joinedOf,
  orderStatus,
  request,
  signToken,
  tokenFor,
  uniqueId,
  upgrade,
  waitForFrames,
} from "../helpers";

let points: MockInstance<AnalyticsEngineDataset["writeDataPoint"]>;

beforeEach(() => {
  if (!env.METRICS) throw new Error("the METRICS binding is missing from wrangler.toml");
  points = vi.spyOn(env.METRICS, "writeDataPoint");
});
afterEach(() => {
  points.mockRestore();
});

/** The points written so far, as `[metric, kind, code, count, value]`. */
function written(metric?: string): [string, string, string, number, number][] {
  return points.mock.calls
    .map(([point]) => {
      const [name = "", kind = "", code = ""] = (point?.blobs ?? []) as string[];
      const [count = 0, value = 0] = point?.doubles ?? [];
      return [name, kind, code, count, value] as [string, string, string, number, number];
    })
    .filter(([name]) => metric === undefined || name === metric);
}

describe("metrics", () => {
  it("writes a publish point with the room kind and the sockets it reached", async () => {
    const room = `order-${uniqueId()}`;
    await join(room, await tokenFor("k1", ["kitchen"]));
    await join(room, await tokenFor("k2", ["kitchen"]));
    await broadcast([room], "order-status-updated", orderStatus("1", "ready"));
    expect(written("publish")).toEqual([["publish", "order", "", 1, 2]]);
    expect(points.mock.calls.at(-1)?.[0]?.indexes).toEqual(["order"]);
  });

  it("writes a refusal point with the error code, for an upgrade refused in the Worker", async () => {
    const expired = await signToken({ sub: "late", roles: ["kitchen"], expiresIn: -30 });
    expect((await upgrade(`order-${uniqueId()}`, { token: expired })).status).toBe(401);
    expect((await upgrade("restaurant-kitchen", { token: await tokenFor("guest") })).status).toBe(403);
    expect((await upgrade("lobby", { token: await tokenFor("guest") })).status).toBe(400);
    expect(written("upgrade_refused")).toEqual([
      ["upgrade_refused", "order", "token_expired", 1, 0],
      ["upgrade_refused", "kitchen", "forbidden", 1, 0],
      ["upgrade_refused", "unknown", "invalid_room", 1, 0],
    ]);
  });

  it("writes a replay point: recovered with the events replayed, or the reason it was not", async () => {
    const room = `order-${uniqueId()}`;
    const token = await tokenFor("k3", ["kitchen"]);
    const { epoch } = joinedOf(await join(room, token));
    for (const status of ["a", "b", "c"]) await broadcast([room], "order-status-updated", orderStatus("1", status));
    await waitForFrames(await join(room, token, { since: 1, epoch }), 3);
    await join(room, token, { since: 0, epoch: "0123abcd" });
    expect(written("replay")).toEqual([
      ["replay", "order", "recovered", 1, 2],
      ["replay", "order", "epoch", 1, 0],
    ]);
  });

  it("counts connections opened and closed with their close code, and frames refused by code", async () => {
    const user = uniqueId();
    const socket = await join(`user-${user}`, await tokenFor(user));
    socket.send("not json");
    await request(socket, "no:such-event", undefined, 7);
    socket.ws.close(4000, "bye");
    await socket.closed;
    const deadline = Date.now() + 5_000;
    while (written("connection_closed").length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    expect(written("connection_opened")).toEqual([["connection_opened", "user", "", 1, 0]]);
    expect(written("frame_refused")).toEqual([
      ["frame_refused", "user", "invalid_frame", 1, 0],
      ["frame_refused", "user", "unknown_event", 1, 0],
    ]);
    expect(written("connection_closed")).toEqual([["connection_closed", "user", "4000", 1, 0]]);
  });

  it("never writes a user id, a name or a room's id", async () => {
    const user = `person-${uniqueId()}`;
    const order = uniqueId();
    await join(`user-${user}`, await tokenFor(user, [], "Grace Hopper"));
    await join(`order-${order}`, await tokenFor(user, ["staff"], "Grace Hopper"));
    await broadcast([`order-${order}`, `user-${user}`], "order-status-updated", orderStatus(order, "ready"));
    expect(points.mock.calls.length).toBeGreaterThan(3);
    const text = JSON.stringify(points.mock.calls);
    for (const secret of [user, order, "Grace"]) expect(text).not.toContain(secret);
  });
});
