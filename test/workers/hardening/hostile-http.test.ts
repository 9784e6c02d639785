/**
 * Random and hostile HTTP thrown at every route: room names (traversal, unicode, very long),
 * query strings, headers and internal API bodies. Every answer is a documented status with the
 * JSON error shape, never a 5xx, and no room is touched by a refused call.
 */
import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hubFetch, internal, join, settled, tokenFor, uniqueId } from "../helpers";

const roomish = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(
    "..",
    "../admin-dashboard",
    "%2e%2e%2fadmin-dashboard",
    "user-..%2F..%2Fadmin",
    "order-%00",
    "order-\u0000",
    "user-a%0d%0aSet-Cookie:x",
    "support-agents/..",
    "order-١٢٣",
    "ＯＲＤＥＲ-1",
  ),
  fc.integer({ min: 65, max: 5_000 }).map((n) => `order-${"a".repeat(n)}`),
);

const query = fc.oneof(
  fc.constant(""),
  fc.string({ maxLength: 100 }).map((text) => `?${encodeURIComponent(text)}`),
  fc.constantFrom("?token=", "?token=a&token=b", "?since=1e308&epoch=00", "?since=-0&epoch=ff", "?token=%FF%FE"),
);

function assertErrorShape(status: number, body: unknown) {
  expect(status).toBeLessThan(500);
  expect(body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
}

describe("hostile HTTP", () => {
  it("answers odd room names and query strings on /ws and /access with a clear 4xx", async () => {
    const token = await tokenFor("u1", ["admin"]);
    await fc.assert(
      fc.asyncProperty(roomish, query, fc.boolean(), async (room, search, asUpgrade) => {
        let path: string;
        try {
          path = `/ws/${encodeURI(room)}${search}`;
        } catch {
          return; // lone surrogates cannot form a URL at all
        }
        const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
        if (asUpgrade) headers.Upgrade = "websocket";
        const res = await hubFetch(path, { headers });
        if (res.status === 101) {
          res.webSocket?.accept();
          res.webSocket?.close(1000);
          return;
        }
        assertErrorShape(res.status, await res.json());
        const access = await hubFetch(path.replace("/ws/", "/access/"), { method: "POST", body: token });
        if (access.status !== 200) assertErrorShape(access.status, await access.json());
      }),
      { numRuns: 300 },
    );
  });

  it("answers random internal API bodies and headers with a clear 4xx, touching no room", async () => {
    const room = `order-${uniqueId()}`;
    const watcher = await join(room, await tokenFor("k", ["kitchen"]));
    const body = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? ""),
      fc
        .record({
          rooms: fc.oneof(fc.array(roomish, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
          event: fc.oneof(fc.constantFrom("new-order", "notification", "__proto__", "constructor"), fc.string()),
          data: fc.jsonValue({ maxDepth: 3 }),
          id: fc.oneof(fc.string({ maxLength: 200 }), fc.integer()),
        })
        .map((value) => JSON.stringify(value)),
      fc.constant(`{"rooms":["${room}"],"event":"notification","data":{"__proto__":{"title":"x"},"body":""}}`),
      fc.constant(`{"rooms":["${room}"],"event":"notification","data":{"title":"x","body":"","constructor":{}}}`),
    );
    const method = fc.constantFrom("POST", "PUT", "DELETE", "PATCH", "GET");
    const path = fc.oneof(
      fc.constant("/broadcast"),
      roomish.map((name) => `/rooms/${encodeURIComponent(name)}/members/${encodeURIComponent(name.slice(0, 70))}`),
      fc.string({ maxLength: 40 }).map((text) => `/${encodeURIComponent(text)}`),
    );
    const secret = fc.oneof(
      fc.constant(env.BROADCAST_SECRET as string),
      fc.constant(null),
      fc.string({ maxLength: 80 }),
      fc.constant(`${env.BROADCAST_SECRET} `),
    );
    await fc.assert(
      fc.asyncProperty(method, path, body, secret, async (verb, route, payload, key) => {
        const res = await internal(route, { method: verb, body: verb === "GET" ? undefined : payload, secret: key });
        if (res.status === 200) return; // a valid grant or revoke on a random order room
        assertErrorShape(res.status, await res.json());
      }),
      { numRuns: 400 },
    );
    await settled(watcher);
    expect(watcher.frames).toHaveLength(1);
  }, 60_000);
});
