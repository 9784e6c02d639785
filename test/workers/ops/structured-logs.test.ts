/**
 * Every line the hub logs is one JSON object with `event` and `where`, and no run through its
 * error paths logs a token, a user's id or name, a room's id or what a message said.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import worker from "../../../src/index";
import { broadcast, hubFetch, internal, join, request, signToken, tokenFor, uniqueId, upgrade } from "../helpers";

const METHODS = ["log", "info", "warn", "error", "debug"] as const;
let spies: MockInstance[] = [];

beforeEach(() => {
  spies = METHODS.map((method) => vi.spyOn(console, method).mockImplementation(() => {}));
});
afterEach(() => {
  for (const spy of spies) spy.mockRestore();
});

const lines = () => spies.flatMap((spy) => spy.mock.calls);

describe("structured logs", () => {
  it("log each line as one JSON object, and nothing personal, through the error paths", async () => {
    const user = `pii-${uniqueId()}`;
    const order = uniqueId();
    const name = "Ada Lovelace";
    const secretText = `the allergy is ${uniqueId()}`;
    const token = await tokenFor(user, ["staff"], name);

    // Refused upgrades and access checks: expired, forged, wrong room, unknown room.
    await upgrade(`order-${order}`, { token: await signToken({ sub: user, name, roles: [], expiresIn: -10 }) });
    await upgrade(`order-${order}`, { token: `${token.slice(0, -4)}AAAA` });
    await upgrade("admin-dashboard", { token });
    await upgrade(`nope-${order}`, { token });
    await hubFetch(`/access/order-${order}`, { method: "POST", body: "garbage" });
    // Hostile frames and refused events carrying the message text.
    const socket = await join(`order-${order}`, token);
    socket.send(`{"event":"chat:message","data":{"text":"${secretText}"}}`);
    socket.send(secretText);
    socket.send(new TextEncoder().encode(secretText));
    await request(socket, "notification:read", { ids: [secretText] }, 3);
    // Chat, in the customer's own support room and past its rate limit.
    const chat = await join(`support-${user}`, token);
    for (let i = 0; i < 8; i++)
      await request(chat, "chat:message", { text: secretText, clientMessageId: `c${i}` }, 10 + i);
    // The internal API, refused and accepted, with personal data in the bodies.
    await internal("/broadcast", {
      body: { rooms: [`order-${order}`], event: "new-order", data: { customerName: name } },
    });
    await internal("/broadcast", { body: "{ not json" });
    await internal("/broadcast", { secret: "wrong-secret-with-enough-characters-000", body: {} });
    await broadcast([`user-${user}`], "notification", { title: name, body: secretText });
    await internal(`/rooms/restaurant-kitchen/members/${user}`, { method: "PUT" });
    // A hub without its secrets.
    await worker.fetch(
      new Request(`https://hub.test/ws/order-${order}?token=${token}`),
      { ...env, JWT_SECRET: undefined },
      {
        waitUntil() {},
        passThroughOnException() {},
      } as unknown as ExecutionContext,
    );

    const logged = lines();
    expect(logged.length).toBeGreaterThan(0); // the misconfigured hub at least says so
    for (const args of logged) {
      expect(args).toHaveLength(1);
      const line = JSON.parse(String(args[0])) as Record<string, unknown>;
      expect(typeof line.event).toBe("string");
      expect(typeof line.where).toBe("string");
    }
    const text = JSON.stringify(logged);
    for (const secret of [token, token.split(".")[2] ?? token, user, order, name, secretText, "Lovelace"]) {
      expect(text).not.toContain(secret);
    }
  });
});
