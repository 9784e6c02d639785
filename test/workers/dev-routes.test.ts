import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { errorOf, hubFetch, join, uniqueId, waitForFrames } from "./helpers";

const inDevelopment = (path: string, init?: RequestInit) =>
  worker.fetch(new Request(`https://hub.test${path}`, init), { ...env, ENVIRONMENT: "development" }, {
    waitUntil() {},
    passThroughOnException() {},
  } as unknown as ExecutionContext);

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

describe("development routes", () => {
  it("do not exist outside development", async () => {
    expect(env.ENVIRONMENT).not.toBe("development");
    for (const [path, init] of [
      ["/dev/token", json({ sub: "u1", roles: ["admin"] })],
      ["/dev/internal/broadcast", json({})],
      ["/dev/anything", undefined],
    ] as const) {
      const res = await hubFetch(path, init);
      expect(res.status, path).toBe(404);
      expect((await errorOf(res)).code).toBe("not_found");
    }
  });

  it("mint a token for a chosen user and roles that the hub accepts", async () => {
    const res = await inDevelopment("/dev/token", json({ sub: "kim", roles: ["kitchen"], name: "Kim" }));
    expect(res.status).toBe(200);
    const { token, expiresIn } = (await res.json()) as { token: string; expiresIn: number };
    expect(expiresIn).toBe(3600);
    const socket = await join("restaurant-kitchen", token);
    expect(socket.frames[0]).toMatchObject({ event: "joined", data: { userId: "kim" } });
  });

  it("refuse unknown roles and bad users", async () => {
    for (const body of [
      { sub: "a b" },
      { sub: "u", roles: ["root"] },
      { sub: "u", expiresIn: 5 },
      { sub: "u", x: 1 },
    ]) {
      const res = await inDevelopment("/dev/token", json(body));
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it("relay the simulator's broadcasts with the server's secret", async () => {
    const order = `order-${uniqueId()}`;
    const { token } = (await (await inDevelopment("/dev/token", json({ sub: "s", roles: ["staff"] }))).json()) as {
      token: string;
    };
    const socket = await join(order, token);
    const res = await inDevelopment(
      "/dev/internal/broadcast",
      json({ rooms: [order], event: "order-status-updated", data: { orderId: "1", status: "ready" } }),
    );
    expect(await res.json()).toEqual({ delivered: { [order]: 1 } });
    expect((await waitForFrames(socket, 2))[1]).toMatchObject({ event: "order-status-updated" });
  });
});
