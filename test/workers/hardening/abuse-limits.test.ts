/**
 * Abuse limits of the Worker (Rate Limiting bindings in wrangler.toml), enforced before any room
 * object is touched. The bindings count in fixed windows, so a run that straddles a window edge
 * may pass up to twice the limit before its first 429: the tests allow for that, never for less.
 */
import { env, listDurableObjectIds } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { errorOf, hubFetch, tokenFor, uniqueId } from "../helpers";

const upgradeFrom = (path: string, ip: string | null, token?: string) => {
  const headers: Record<string, string> = { Upgrade: "websocket" };
  if (ip) headers["CF-Connecting-IP"] = ip;
  if (token) headers.Authorization = `Bearer ${token}`;
  return hubFetch(path, { headers });
};

async function roomExists(room: string): Promise<boolean> {
  const wanted = env.ROOMS.idFromName(room).toString();
  return (await listDurableObjectIds(env.ROOMS)).some((id) => id.toString() === wanted);
}

/**
 * Calls `attempt` until it answers 429; returns the other statuses up to then and the 429. Calls go
 * in concurrent batches: one at a time, a busy machine may be slower than the limit's rate, and
 * never reach it within one window.
 */
async function untilLimited(limit: number, attempt: () => Promise<Response>, batch = 25) {
  const before: number[] = [];
  while (before.length < 2 * limit + 5) {
    const answers = await Promise.all(Array.from({ length: batch }, () => attempt()));
    let limited: Response | undefined;
    for (const res of answers) {
      if (res.status === 429) {
        limited ??= res;
        continue;
      }
      res.webSocket?.accept();
      res.webSocket?.close(1000);
      before.push(res.status);
    }
    if (limited) return { before, limited };
  }
  throw new Error(`no 429 after ${before.length} attempts`);
}

describe("abuse limits", () => {
  it("allows a user 60 connections per 10 seconds, then 429 before the room is touched", async () => {
    const user = uniqueId();
    const token = await tokenFor(user, ["kitchen"]);
    const { before, limited } = await untilLimited(60, () => upgradeFrom(`/ws/user-${user}`, null, token));
    expect(before.length).toBeGreaterThanOrEqual(60);
    expect(new Set(before)).toEqual(new Set([101]));
    expect(limited.headers.get("Retry-After")).toBe("10");
    expect(await errorOf(limited)).toEqual({ code: "rate_limited", message: expect.stringContaining("wait") });

    const order = `order-${uniqueId()}`;
    expect((await upgradeFrom(`/ws/${order}`, null, token)).status).toBe(429);
    expect(await roomExists(order)).toBe(false);
    // Another user is not affected.
    const other = await upgradeFrom(`/ws/${order}`, null, await tokenFor(uniqueId(), ["kitchen"]));
    expect(other.status).toBe(101);
    other.webSocket?.accept();
    other.webSocket?.close(1000);
  });

  it("counts only accepted connections in a user's budget: access checks and joins refused for want of a grant spend none", async () => {
    const user = uniqueId();
    const token = await tokenFor(user);
    const order = `order-${uniqueId()}`;
    for (let i = 0; i < 70; i++) {
      expect((await hubFetch(`/access/user-${user}`, { method: "POST", body: token })).status).toBe(200);
      expect((await upgradeFrom(`/ws/${order}`, null, token)).status).toBe(403);
    }
    // A shared kitchen account: 20 screens rejoining their personal and kitchen rooms at once.
    const kitchenUser = `kitchen-${uniqueId()}`;
    const kitchen = await tokenFor(kitchenUser, ["kitchen"]);
    const statuses: number[] = [];
    for (let screen = 0; screen < 20; screen++) {
      for (const room of [`user-${kitchenUser}`, "restaurant-kitchen"]) {
        const res = await upgradeFrom(`/ws/${room}`, null, kitchen);
        res.webSocket?.accept();
        res.webSocket?.close(1000);
        statuses.push(res.status);
      }
    }
    expect(new Set(statuses)).toEqual(new Set([101]));
    // And the first user's budget is whole: none of those 140 calls spent it.
    const { before } = await untilLimited(60, () => upgradeFrom(`/ws/user-${user}`, null, token));
    expect(before.length).toBeGreaterThanOrEqual(60);
  });

  it("allows an address 300 connection attempts per 10 seconds, counting refused ones, then 429", async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    const { before } = await untilLimited(300, () => upgradeFrom("/ws/admin-dashboard", ip, "forged.token.value"));
    expect(before.length).toBeGreaterThanOrEqual(300);
    expect(new Set(before)).toEqual(new Set([401]));
    // /access shares the budget: guessing tokens there is limited too.
    const access = await hubFetch("/access/admin-dashboard", {
      method: "POST",
      body: "x",
      headers: { "CF-Connecting-IP": ip },
    });
    expect(access.status).toBe(429);
  });

  it("does not limit loopback addresses per address", async () => {
    for (let i = 0; i < 650; i++) {
      const res = await upgradeFrom("/ws/admin-dashboard", "127.0.0.1", "forged.token.value");
      expect(res.status).toBe(401);
    }
  });

  it("allows an address 1000 internal API calls per 10 seconds, wrong secrets included, then 429", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const call = (secret: string) =>
      hubFetch("/internal/broadcast", {
        method: "POST",
        headers: { "CF-Connecting-IP": ip, Authorization: `Bearer ${secret}` },
        body: "{}",
      });
    const { before } = await untilLimited(1000, () => call("guess"));
    expect(before.length).toBeGreaterThanOrEqual(1000);
    expect(new Set(before)).toEqual(new Set([401]));
    expect((await call(env.BROADCAST_SECRET as string)).status).toBe(429);
  }, 60_000);
});
