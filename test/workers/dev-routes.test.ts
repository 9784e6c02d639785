import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { errorOf, hubFetch, join, uniqueId, waitForFrames } from "./helpers";

const inDevelopment = (path: string, init?: RequestInit) =>
  worker.fetch(new Request(`http://localhost:8787${path}`, init), { ...env, ENVIRONMENT: "development" }, {
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

  it("refuse a cross-site text/plain POST to the relay, and nothing reaches the room", async () => {
    const order = `order-${uniqueId()}`;
    const { token } = (await (await inDevelopment("/dev/token", json({ sub: "s", roles: ["staff"] }))).json()) as {
      token: string;
    };
    const socket = await join(order, token);
    const forged = { rooms: [order], event: "order-status-updated", data: { orderId: "1", status: "forged" } };
    const attempts: RequestInit[] = [
      // What a page on another origin can send without a preflight.
      {
        method: "POST",
        headers: { "Content-Type": "text/plain", Origin: "https://evil.example" },
        body: JSON.stringify(forged),
      },
      // JSON from another origin (a browser would preflight it; a script outside one need not).
      {
        method: "POST",
        headers: { "Content-Type": "application/json", Origin: "https://evil.example" },
        body: JSON.stringify(forged),
      },
      // text/plain from the console's own origin is refused too: the relay takes JSON only.
      {
        method: "POST",
        headers: { "Content-Type": "text/plain", Origin: "http://localhost:8787" },
        body: JSON.stringify(forged),
      },
    ];
    for (const init of attempts) {
      const res = await inDevelopment("/dev/internal/broadcast", init);
      expect(res.status).toBe(403);
      expect((await errorOf(res)).code).toBe("forbidden");
    }
    // The next frame the room delivers is the real one: none of the forged ones went out.
    await inDevelopment(
      "/dev/internal/broadcast",
      json({ rooms: [order], event: "order-status-updated", data: { orderId: "1", status: "ready" } }),
    );
    const frames = await waitForFrames(socket, 2);
    expect(frames[1]).toMatchObject({ event: "order-status-updated", data: { status: "ready" }, seq: 1 });
  });

  it("relay the console's grant, a PUT with no body from its own page", async () => {
    const order = `order-${uniqueId()}`;
    const res = await inDevelopment(`/dev/internal/rooms/${order}/members/guest-1`, {
      method: "PUT",
      headers: { Origin: "http://localhost:8787", "Content-Length": "0" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ room: order, userId: "guest-1", granted: true });
  });

  it("answer only requests addressed to a loopback host, so DNS rebinding cannot mint a token", async () => {
    const rebound = await worker.fetch(
      new Request("http://attacker.example:8787/dev/token", {
        ...json({ sub: "eve", roles: ["admin"] }),
        headers: { "Content-Type": "application/json", Origin: "http://attacker.example:8787" },
      }),
      { ...env, ENVIRONMENT: "development" },
      { waitUntil() {}, passThroughOnException() {} } as unknown as ExecutionContext,
    );
    expect(rebound.status).toBe(403);
    const body = (await rebound.json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty("token");
    expect(body).toMatchObject({ error: { code: "forbidden" } });
  });
});
