/**
 * Attacks on authentication and room policy, each refused with the documented status and code.
 */
import { env } from "cloudflare:test";
import { SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { secretMatches } from "../../../src/worker/internal-auth";
import { errorOf, internal, join, signToken, tokenFor, uniqueId, upgrade, waitForClose } from "../helpers";

async function refusal(room: string, token: string) {
  const res = await upgrade(room, { token });
  if (res.status === 101) {
    res.webSocket?.accept();
    res.webSocket?.close(1000);
    return { status: 101, code: "" };
  }
  return { status: res.status, code: (await errorOf(res)).code };
}

describe("forged and broken tokens", () => {
  const room = "admin-dashboard";
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    [
      "signed with another key",
      () => signToken({ sub: "a", roles: ["admin"], secret: "x".repeat(40) }),
      "unauthorized",
    ],
    [
      "alg: none",
      async () =>
        new UnsecuredJWT({ roles: ["admin"] })
          .setSubject("a")
          .setExpirationTime(now() + 60)
          .encode(),
      "unauthorized",
    ],
    [
      "alg: none with a signature appended",
      async () =>
        `${new UnsecuredJWT({ roles: ["admin"] })
          .setSubject("a")
          .setExpirationTime(now() + 60)
          .encode()}sig`,
      "unauthorized",
    ],
    [
      "HS384 with the right secret",
      () =>
        new SignJWT({ roles: ["admin"] })
          .setProtectedHeader({ alg: "HS384" })
          .setSubject("a")
          .setExpirationTime(now() + 60)
          .sign(new TextEncoder().encode(env.JWT_SECRET)),
      "unauthorized",
    ],
    ["expired", () => signToken({ sub: "a", roles: ["admin"], expiresIn: -30 }), "token_expired"],
    ["not yet valid", () => signToken({ sub: "a", roles: ["admin"], notBefore: 300 }), "unauthorized"],
    ["without sub", () => signToken({ roles: ["admin"] }), "unauthorized"],
    ["with roles as a string", () => signToken({ sub: "a", roles: "admin" }), "unauthorized"],
    ["with roles as an object", () => signToken({ sub: "a", roles: { admin: true } }), "unauthorized"],
    ["with a sub that is not an id", () => signToken({ sub: "../admin", roles: ["admin"] }), "unauthorized"],
    ["without exp", () => signToken({ sub: "a", roles: ["admin"], noExp: true }), "unauthorized"],
  ])("refuses a token %s with 401", async (_, make, code) => {
    expect(await refusal(room, await make())).toEqual({ status: 401, code });
  });
});

describe("a customer trying another user's rooms", () => {
  it("is refused from every room of another user, and from staff rooms, with 403", async () => {
    const mallory = await tokenFor(uniqueId(), [], "Mallory");
    const victim = uniqueId();
    const order = `order-${uniqueId()}`;
    await internal(`/rooms/${order}/members/${victim}`, { method: "PUT" });
    for (const room of [
      `user-${victim}`,
      `support-${victim}`,
      order,
      "restaurant-kitchen",
      "pool-staff",
      "admin-dashboard",
      "support-agents",
    ]) {
      expect(await refusal(room, mallory), room).toEqual({ status: 403, code: "forbidden" });
    }
  });

  it("cannot raise its roles by claiming them in a frame", async () => {
    const user = uniqueId();
    const socket = await join(`user-${user}`, await tokenFor(user));
    socket.send({ event: "room:info", data: { roles: ["admin"] }, ack: 1 });
    socket.send({ event: "room:info", ack: 2 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(socket.frames.find((frame) => frame.ack === 1)?.data).toMatchObject({ code: "invalid_payload" });
    expect(socket.frames.find((frame) => frame.ack === 2)?.data).toMatchObject({ you: { roles: [] } });
    expect(await refusal("admin-dashboard", await tokenFor(user))).toEqual({ status: 403, code: "forbidden" });
  });
});

describe("revoked members", () => {
  it("are closed with 4003 and refused with 403 when they reconnect, even with a fresh token", async () => {
    const customer = uniqueId();
    const order = `order-${uniqueId()}`;
    await internal(`/rooms/${order}/members/${customer}`, { method: "PUT" });
    const socket = await join(order, await tokenFor(customer));
    await internal(`/rooms/${order}/members/${customer}`, { method: "DELETE" });
    expect((await waitForClose(socket)).code).toBe(4003);
    expect(await refusal(order, await tokenFor(customer))).toEqual({ status: 403, code: "forbidden" });
  });
});

describe("the internal API's bearer secret", () => {
  const secret = env.BROADCAST_SECRET as string;

  it("matches only itself: no prefix, extension, other case or same-length guess", () => {
    expect(secretMatches(secret, secret)).toBe(true);
    for (const guess of [
      "",
      secret.slice(0, -1),
      `${secret}x`,
      secret.toUpperCase() === secret ? secret.toLowerCase() : secret.toUpperCase(),
      `${secret.slice(0, -1)}${secret.at(-1) === "a" ? "b" : "a"}`,
      "a".repeat(secret.length),
      secret.repeat(2),
    ]) {
      expect(secretMatches(guess, secret), JSON.stringify(guess)).toBe(false);
    }
  });

  it("never matches an empty configured secret", () => {
    expect(secretMatches("", "")).toBe(false);
  });

  it("is refused the same way for a guess of any length, with 401 and nothing delivered", async () => {
    for (const guess of ["x", secret.slice(0, 8), `${secret}${secret}`, "é".repeat(secret.length)]) {
      const res = await internal("/broadcast", {
        secret: guess,
        body: { rooms: [`order-${uniqueId()}`], event: "order-status-updated", data: {} },
      });
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe("unauthorized");
    }
  });
});
