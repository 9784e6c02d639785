/**
 * The publisher: retries of transient failures against a scripted local server, no retries of a
 * 4xx, the builder's immutability, and the real hub's answers and errors.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createPublisher, PublishError } from "../../client/publisher";
import { freePort, type Hub, startHub } from "../support/hub-process";
import { freshId, publisherFor } from "./helpers";

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: unknown;
}

/** A local HTTP server that answers from a script, one entry per request, and records requests. */
async function scriptedServer(script: ((seen: Seen) => [number, unknown])[]) {
  const seen: Seen[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let raw = "";
    request.on("data", (chunk) => {
      raw += chunk;
    });
    request.on("end", () => {
      const entry: Seen = {
        method: request.method ?? "",
        url: request.url ?? "",
        authorization: request.headers.authorization,
        body: raw ? JSON.parse(raw) : undefined,
      };
      seen.push(entry);
      const answer = script[Math.min(seen.length - 1, script.length - 1)];
      const [status, body] = answer ? answer(entry) : [500, {}];
      response.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return { url: `http://127.0.0.1:${port}`, seen };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((done) => server.close(done));
});

const fast = { minDelayMs: 10, maxDelayMs: 50 };
const error = (code: string, message: string) => ({ error: { code, message } });
const delivered = (rooms: string[]) => ({ delivered: Object.fromEntries(rooms.map((room) => [room, 1])) });

describe("retries (scripted server)", () => {
  test("503, 503, then 200: three attempts, the answer of the last", async () => {
    const server = await scriptedServer([
      () => [503, error("internal_error", "busy")],
      () => [503, error("internal_error", "busy")],
      () => [200, { delivered: { "user-1": 2 } }],
    ]);
    const retries: number[] = [];
    const publisher = createPublisher({
      url: server.url,
      secret: "s3cret",
      retry: fast,
      onRetry: ({ attempt, delayMs }) => {
        retries.push(attempt);
        expect(delayMs).toBeGreaterThanOrEqual(fast.minDelayMs);
        expect(delayMs).toBeLessThanOrEqual(fast.maxDelayMs);
      },
    });
    const result = await publisher.to("user-1").emit("notification", { title: "t", body: "b" });
    expect(result).toEqual({ delivered: { "user-1": 2 } });
    expect(server.seen).toHaveLength(3);
    expect(retries).toEqual([2, 3]);
    expect(server.seen[0]).toEqual({
      method: "POST",
      url: "/internal/broadcast",
      authorization: "Bearer s3cret",
      body: { rooms: ["user-1"], event: "notification", data: { title: "t", body: "b" } },
    });
  });

  test("a 400 is thrown at once with the hub's code, message and status", async () => {
    const server = await scriptedServer([() => [400, error("bad_request", "data.status: bad")]]);
    const publisher = createPublisher({ url: server.url, secret: "s", retry: fast });
    const thrown = await publisher
      .to("order-1")
      .emit("order-status-updated", { orderId: 1, status: "ready" })
      .catch((caught: unknown) => caught);
    expect(thrown).toBeInstanceOf(PublishError);
    expect(thrown).toMatchObject({ code: "bad_request", message: "data.status: bad", status: 400, attempts: 1 });
    expect(server.seen).toHaveLength(1);
  });

  test("5xx until the attempts run out: the last error, after exactly that many attempts", async () => {
    const server = await scriptedServer([() => [500, error("internal_error", "still broken")]]);
    const publisher = createPublisher({ url: server.url, secret: "s", retry: { ...fast, attempts: 3 } });
    await expect(publisher.grant("order-1", "u1")).rejects.toMatchObject({
      code: "internal_error",
      status: 500,
      attempts: 3,
    });
    expect(server.seen).toHaveLength(3);
    expect(
      server.seen.every((seen) => seen.method === "PUT" && seen.url === "/internal/rooms/order-1/members/u1"),
    ).toBe(true);
  });

  test("network errors are retried, bounded, and thrown without a status", async () => {
    const port = await freePort(); // nothing listens there
    const retries: number[] = [];
    const publisher = createPublisher({
      url: `http://127.0.0.1:${port}`,
      secret: "s",
      retry: { ...fast, attempts: 3 },
      onRetry: ({ attempt }) => retries.push(attempt),
    });
    const thrown = await publisher.revoke("order-1", "u1").catch((caught: unknown) => caught);
    expect(thrown).toMatchObject({ code: "network_error", status: undefined, attempts: 3 });
    expect(retries).toEqual([2, 3]);
  });

  test("a 502 partial failure is retried for the rooms that were not reached only", async () => {
    const server = await scriptedServer([
      () => [502, { ...error("internal_error", "delivery failed for: order-2"), delivered: { "order-1": 1 } }],
      (seen) => [200, delivered((seen.body as { rooms: string[] }).rooms)],
    ]);
    const publisher = createPublisher({ url: server.url, secret: "s", retry: fast });
    const result = await publisher.to(["order-1", "order-2"]).emit("order-status-updated", {
      orderId: 1,
      status: "ready",
    });
    expect(result).toEqual({ delivered: { "order-1": 1, "order-2": 1 } });
    expect(server.seen.map((seen) => (seen.body as { rooms: string[] }).rooms)).toEqual([
      ["order-1", "order-2"],
      ["order-2"],
    ]);
  });

  test("more rooms than one call may name go out in several calls", async () => {
    const server = await scriptedServer([(seen) => [200, delivered((seen.body as { rooms: string[] }).rooms)]]);
    const publisher = createPublisher({ url: server.url, secret: "s", retry: fast });
    const rooms = Array.from({ length: 150 }, (_, index) => `user-${index}`);
    const result = await publisher.to(rooms).emit("notification", { title: "all", body: "hands" });
    expect(Object.keys(result.delivered)).toHaveLength(150);
    expect(server.seen.map((seen) => (seen.body as { rooms: string[] }).rooms.length)).toEqual([100, 50]);
  });

  test("to() never changes the operator it is called on", async () => {
    const server = await scriptedServer([(seen) => [200, delivered((seen.body as { rooms: string[] }).rooms)]]);
    const publisher = createPublisher({ url: server.url, secret: "s" });
    const kitchen = publisher.to("restaurant-kitchen");
    const both = kitchen.to("order-9");
    const again = kitchen.to("order-9").to("order-9");
    expect(kitchen.rooms).toEqual(["restaurant-kitchen"]);
    expect(both.rooms).toEqual(["restaurant-kitchen", "order-9"]);
    expect(again.rooms).toEqual(["restaurant-kitchen", "order-9"]);
    await kitchen.emit("notification", { title: "k", body: "" });
    expect(server.seen.map((seen) => (seen.body as { rooms: string[] }).rooms)).toEqual([["restaurant-kitchen"]]);
  });
});

describe("against the hub", () => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => {
    await hub?.stop();
  });

  test("a broadcast answers with the sockets reached per room", async () => {
    const room = `order-${freshId()}`;
    await expect(
      publisherFor(hub).to(room).emit("order-status-updated", { orderId: 3, status: "ready" }),
    ).resolves.toEqual({ delivered: { [room]: 0 } });
  });

  test("a wrong secret is a 401 from the hub, thrown after one attempt", async () => {
    const publisher = createPublisher({ url: hub.url, secret: "not-the-secret", retry: fast });
    await expect(publisher.to("user-1").emit("notification", { title: "x", body: "y" })).rejects.toMatchObject({
      code: "unauthorized",
      status: 401,
      attempts: 1,
    });
  });

  test("an invalid payload is the hub's 400, naming the field", async () => {
    const thrown = await publisherFor(hub)
      .to("user-1")
      // A string, as the type says, but not a lower-case status name as the hub requires.
      .emit("order-status-updated", { orderId: 1, status: "NOT VALID" })
      .catch((caught: unknown) => caught);
    expect(thrown).toMatchObject({ code: "bad_request", status: 400, attempts: 1 });
    expect((thrown as PublishError).message).toContain("status");
  });

  test("grants apply to order rooms only: the hub's 400 for another room", async () => {
    await expect(publisherFor(hub).grant("restaurant-kitchen", "u1")).rejects.toMatchObject({
      code: "room_not_grantable",
      status: 400,
      attempts: 1,
    });
  });
});
