import { env } from "cloudflare:test";
import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { ALLOWED_ORIGIN, errorOf, hubFetch, join, joinedOf, signToken, tokenFor, uniqueId, upgrade } from "./helpers";

/** The status of an upgrade to the kitchen room through the Worker with `bindings`; a socket is closed at once. */
async function kitchenUpgradeStatus(bindings: typeof env, token: string): Promise<number> {
  const res = await worker.fetch(
    new Request(`https://hub.test/ws/restaurant-kitchen?token=${token}`, { headers: { Upgrade: "websocket" } }),
    bindings,
    {} as ExecutionContext,
  );
  res.webSocket?.accept();
  res.webSocket?.close(1000);
  return res.status;
}

describe("upgrade status codes", () => {
  it("answers 426 to a plain GET", async () => {
    const res = await hubFetch("/ws/restaurant-kitchen");
    expect(res.status).toBe(426);
    expect(await errorOf(res)).toEqual({ code: "upgrade_required", message: expect.stringContaining("WebSocket") });
  });

  it("answers 405 to a POST", async () => {
    const res = await hubFetch("/ws/restaurant-kitchen", { method: "POST" });
    expect(res.status).toBe(405);
  });

  it.each(["nope", "order-a.b", `order-${"x".repeat(65)}`, "..%2Fadmin-dashboard", "user-%C3%A9", "a/b/c"])(
    "answers 400 to the room name %s",
    async (room) => {
      const res = await upgrade(room, { token: await tokenFor("u1", ["admin"]) });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe("invalid_room");
    },
  );

  it("checks the room name before the token", async () => {
    const res = await upgrade("nope");
    expect(res.status).toBe(400);
  });

  it("answers 401 without a token", async () => {
    const res = await upgrade("restaurant-kitchen");
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toEqual({ code: "unauthorized", message: expect.stringContaining("token") });
  });

  it("accepts the token from Authorization: Bearer", async () => {
    const token = await tokenFor("u1", ["kitchen"]);
    const res = await upgrade("restaurant-kitchen", { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(101);
    res.webSocket?.accept();
    res.webSocket?.close(1000);
  });
});

describe("tokens", () => {
  const room = "restaurant-kitchen";

  async function refusal(token: string) {
    const res = await upgrade(room, { token });
    return { status: res.status, ...(await errorOf(res)) };
  }

  it("refuses an expired token with token_expired", async () => {
    expect(await refusal(await signToken({ sub: "u1", roles: ["kitchen"], expiresIn: -60 }))).toMatchObject({
      status: 401,
      code: "token_expired",
    });
  });

  it("refuses a token a second past exp, which the room would close with 4001 at once: admission and expiry agree", async () => {
    // A clock tolerance on exp would admit this token and the expiry alarm would close it at once,
    // and a client holding a fixed token would loop accept, close, reconnect.
    expect(await refusal(await signToken({ sub: "u1", roles: ["kitchen"], expiresIn: -1 }))).toMatchObject({
      status: 401,
      code: "token_expired",
    });
    const access = await hubFetch(`/access/${room}`, {
      method: "POST",
      body: await signToken({ sub: "u1", roles: ["kitchen"], expiresIn: -1 }),
    });
    expect(access.status).toBe(401);
    expect((await errorOf(access)).code).toBe("token_expired");
  });

  it("tolerates a few seconds of clock skew on nbf", async () => {
    const socket = await join(room, await signToken({ sub: "u1", roles: ["kitchen"], notBefore: 2 }));
    expect(socket.frames[0]?.event).toBe("joined");
    socket.ws.close(1000);
  });

  it("refuses a token that is not yet valid", async () => {
    expect(await refusal(await signToken({ sub: "u1", roles: ["kitchen"], notBefore: 120 }))).toMatchObject({
      status: 401,
      code: "unauthorized",
    });
  });

  it("refuses a token signed with another key", async () => {
    const forged = await signToken({
      sub: "u1",
      roles: ["admin"],
      secret: "another-secret-0123456789abcdef0123456789",
    });
    expect(await refusal(forged)).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("refuses a token whose payload was edited after signing", async () => {
    const token = await tokenFor("u1", []);
    const [header, , signature] = token.split(".");
    const payload = btoa(JSON.stringify({ sub: "u1", roles: ["kitchen"], exp: Math.floor(Date.now() / 1000) + 600 }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    expect(await refusal(`${header}.${payload}.${signature}`)).toMatchObject({ status: 401 });
  });

  it("refuses alg: none", async () => {
    const unsigned = new UnsecuredJWT({ roles: ["admin"] })
      .setSubject("u1")
      .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
      .encode();
    expect(await refusal(unsigned)).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("refuses HS512 even with the right secret (only HS256 is configured)", async () => {
    const token = await new SignJWT({ roles: ["kitchen"] })
      .setProtectedHeader({ alg: "HS512" })
      .setSubject("u1")
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode(env.JWT_SECRET));
    expect(await refusal(token)).toMatchObject({ status: 401 });
  });

  it("refuses RS256 when no JWKS is configured", async () => {
    const { privateKey } = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const token = await new SignJWT({ roles: ["admin"] })
      .setProtectedHeader({ alg: "RS256" })
      .setSubject("u1")
      .setExpirationTime("10m")
      .sign(privateKey);
    expect(await refusal(token)).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("refuses a token without exp", async () => {
    expect(await refusal(await signToken({ sub: "u1", roles: ["kitchen"], noExp: true }))).toMatchObject({
      status: 401,
    });
  });

  it("refuses a token without sub", async () => {
    expect(await refusal(await signToken({ roles: ["kitchen"] }))).toMatchObject({ status: 401 });
  });

  it.each([["kitchen"], [["kitchen", 1]], [{ kitchen: true }]])(
    "refuses roles of the wrong type: %j",
    async (roles) => {
      expect(await refusal(await signToken({ sub: "u1", roles }))).toMatchObject({ status: 401, code: "unauthorized" });
    },
  );

  it("refuses a sub that cannot name a personal room", async () => {
    expect(await refusal(await signToken({ sub: "a|b", roles: ["kitchen"] }))).toMatchObject({ status: 401 });
  });

  it("refuses garbage", async () => {
    expect(await refusal("not-a-jwt")).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("checks issuer and audience when they are configured", async () => {
    const strict = { ...env, JWT_ISSUER: "https://auth.roomcast.test", JWT_AUDIENCE: "roomcast" };
    const call = (token: string) => kitchenUpgradeStatus(strict, token);
    const good = { sub: "u1", roles: ["kitchen"], issuer: "https://auth.roomcast.test", audience: "roomcast" };
    expect(await call(await signToken(good))).toBe(101);
    expect(await call(await signToken({ ...good, issuer: "https://evil.test" }))).toBe(401);
    expect(await call(await signToken({ ...good, audience: "other" }))).toBe(401);
    expect(await call(await signToken({ sub: "u1", roles: ["kitchen"] }))).toBe(401);
  });

  it("verifies with the secret the Worker has now: after a rotation the old one's tokens are refused", async () => {
    const rotated = { ...env, JWT_SECRET: `rotated-${"r".repeat(40)}` };
    const before = await signToken({ sub: "u1", roles: ["kitchen"] });
    const after = await signToken({ sub: "u1", roles: ["kitchen"], secret: rotated.JWT_SECRET });
    // In turn, so that each check follows one with the other secret.
    const statuses = [];
    for (const [bindings, token] of [
      [env, before],
      [rotated, after],
      [rotated, before],
      [env, after],
      [env, before],
    ] as const) {
      statuses.push(await kitchenUpgradeStatus(bindings, token));
    }
    expect(statuses).toEqual([101, 101, 401, 401, 101]);
  });
});

describe("the Worker's shortcut for upgrades", () => {
  // A room segment with a percent-escape goes through the router, which decodes it; a plain one
  // is answered past the router. Both must be the same upgrade.
  const escaped = (room: string) => room.replace("-", "%2D");

  it("admits the same socket to the same room whether the name is plain or escaped", async () => {
    const room = `order-${uniqueId()}`;
    const token = await tokenFor("staff-1", ["staff"]);
    const plain = await join(room, token);
    const routed = await join(escaped(room), token);
    for (const socket of [plain, routed]) {
      expect(socket.frames[0]).toMatchObject({ event: "joined", room, data: { room, userId: "staff-1", seq: 0 } });
    }
    expect(joinedOf(routed).epoch).toBe(joinedOf(plain).epoch);
  });

  it("refuses exactly as the router does: status, error body and Allow header", async () => {
    const room = `order-${uniqueId()}`;
    const kitchen = await tokenFor("k1", ["kitchen"]);
    const customer = await tokenFor("c1", ["customer"]);
    const requests: [string, RequestInit, string?][] = [
      ["GET", {}],
      ["POST", { method: "POST", headers: { Upgrade: "websocket" } }],
      ["no token", { headers: { Upgrade: "websocket" } }],
      ["bad token", { headers: { Upgrade: "websocket" } }, "not-a-jwt"],
      ["no grant", { headers: { Upgrade: "websocket" } }, customer],
      ["bad since", { headers: { Upgrade: "websocket" } }, `${kitchen}&since=0x10&epoch=e`],
    ];
    for (const [what, init, token] of requests) {
      const query = token ? `?token=${token}` : "";
      const [plain, routed] = await Promise.all(
        [room, escaped(room)].map(async (name) => {
          const res = await hubFetch(`/ws/${name}${query}`, init);
          return { status: res.status, allow: res.headers.get("Allow"), body: await res.json() };
        }),
      );
      expect(plain?.status, what).toBeGreaterThanOrEqual(400);
      expect(routed, what).toEqual(plain);
    }
  });
});

describe("Origin", () => {
  it("refuses a browser Origin that is not listed", async () => {
    const res = await upgrade("restaurant-kitchen", {
      token: await tokenFor("u1", ["kitchen"]),
      origin: "https://evil.test",
    });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe("origin_refused");
  });

  it("admits a listed Origin and requests without one", async () => {
    const token = await tokenFor("u1", ["kitchen"]);
    for (const origin of [ALLOWED_ORIGIN, undefined]) {
      const res = await upgrade("restaurant-kitchen", { token, origin });
      expect(res.status).toBe(101);
      res.webSocket?.accept();
      res.webSocket?.close(1000);
    }
  });
});

describe("POST /access/{room}", () => {
  it("answers like the upgrade would, with the token in the body", async () => {
    const room = `support-${uniqueId()}`;
    const ok = await hubFetch(`/access/${room}`, { method: "POST", body: await tokenFor("agent", ["support"]) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, room, userId: "agent" });
    // Browsers may read the answer from any page: it holds no credentials.
    expect(ok.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(ok.headers.get("Access-Control-Expose-Headers")).toBe("Retry-After");

    const refused = await hubFetch(`/access/${room}`, { method: "POST", body: await tokenFor("other", []) });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("Access-Control-Allow-Origin")).toBe("*");
    const expired = await hubFetch(`/access/${room}`, {
      method: "POST",
      body: await signToken({ sub: "agent", roles: ["support"], expiresIn: -60 }),
    });
    expect(expired.status).toBe(401);
    expect((await errorOf(expired)).code).toBe("token_expired");
    expect((await hubFetch("/access/nope", { method: "POST", body: "x" })).status).toBe(400);
    expect((await hubFetch(`/access/${room}`, { method: "POST" })).status).toBe(401);
  });
});
