/**
 * Placing rooms near their users: a grant or a broadcast may say where a new room's object should
 * live, room kinds may declare a default (ROOM_LOCATION_HINTS), and a hint reaches getByName.
 */
import { env, listDurableObjectIds } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import worker from "../../../src/index";
import { errorOf, internal, join, orderStatus, tokenFor, uniqueId } from "../helpers";

let getByName: MockInstance<typeof env.ROOMS.getByName>;
beforeEach(() => {
  getByName = vi.spyOn(env.ROOMS, "getByName");
});
afterEach(() => {
  getByName.mockRestore();
});

const hintsFor = (room: string) =>
  getByName.mock.calls.filter(([name]) => name === room).map(([, options]) => options?.locationHint);

async function exists(room: string): Promise<boolean> {
  const wanted = env.ROOMS.idFromName(room).toString();
  return (await listDurableObjectIds(env.ROOMS)).some((id) => id.toString() === wanted);
}

describe("location hints", () => {
  it("pass a broadcast's locationHint to getByName for every room it names", async () => {
    const [a, b] = [`order-${uniqueId()}`, `order-${uniqueId()}`];
    const res = await internal("/broadcast", {
      body: { rooms: [a, b], event: "order-status-updated", data: orderStatus("1"), locationHint: "apac" },
    });
    expect(res.status).toBe(200);
    expect(hintsFor(a)).toEqual(["apac"]);
    expect(hintsFor(b)).toEqual(["apac"]);
  });

  it("pass a grant's locationHint, so an order room first touched by its grant lives near the customer", async () => {
    const room = `order-${uniqueId()}`;
    const res = await internal(`/rooms/${room}/members/${uniqueId()}`, {
      method: "PUT",
      body: { locationHint: "apac-se" },
    });
    expect(res.status).toBe(200);
    expect(hintsFor(room)).toEqual(["apac-se"]);
  });

  it("use the room kind's default when the call gives none", async () => {
    await join("pool-staff", await tokenFor("lifeguard", ["pool"]));
    expect(hintsFor("pool-staff")).toContain("oc");
    const room = `order-${uniqueId()}`;
    await internal("/broadcast", { body: { rooms: [room], event: "order-status-updated", data: orderStatus("1") } });
    expect(hintsFor(room)).toEqual([undefined]);
  });

  it("refuse an unknown region with 400 and create nothing", async () => {
    const room = `order-${uniqueId()}`;
    for (const res of [
      await internal("/broadcast", {
        body: { rooms: [room], event: "order-status-updated", data: orderStatus("1"), locationHint: "mars" },
      }),
      await internal(`/rooms/${room}/members/${uniqueId()}`, { method: "PUT", body: { locationHint: "Asia" } }),
      await internal(`/rooms/${room}/members/${uniqueId()}`, { method: "PUT", body: { region: "apac" } }),
    ]) {
      expect(res.status).toBe(400);
      expect((await errorOf(res)).message).toMatch(/locationHint|region/);
    }
    expect(await exists(room)).toBe(false);
  });

  it("fail closed when ROOM_LOCATION_HINTS is not a map of room kinds to regions", async () => {
    for (const hints of ["{kitchen:weur}", '{"lobby":"weur"}', '{"kitchen":"europe"}']) {
      const res = await worker.fetch(new Request("https://hub.test/health"), { ...env, ROOM_LOCATION_HINTS: hints }, {
        waitUntil() {},
        passThroughOnException() {},
      } as unknown as ExecutionContext);
      expect(res.status, hints).toBe(500);
      expect((await errorOf(res)).code).toBe("misconfigured");
    }
  });
});
