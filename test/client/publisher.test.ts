/**
 * The publisher: retries of transient failures against a scripted local server, one idempotency
 * id per publish (reused by retries and split calls), no retries of a 4xx other than 429, the
 * builder's immutability, and the real hub's answers and errors, also behind a flaky proxy.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { connect, type RoomcastSocket } from "../../client/index";
import { createPublisher, PublishError } from "../../client/publisher";
import { E2E_BROADCAST_SECRET, freePort, type Hub, startHub } from "../support/hub-process";
import { freshId, publisherFor, record, signToken, sleep, waitFor } from "./helpers";

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: unknown;
}

/** A local HTTP server that answers from a script, one entry per request, and records requests. */
async function scriptedServer(script: ((seen: Seen) => [number, unknown, Record<string, string>?])[]) {
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
      const [status, body, headers] = answer ? answer(entry) : [500, {}];
      response.writeHead(status, { "Content-Type": "application/json", ...headers }).end(JSON.stringify(body));
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
const idOf = (seen: Seen) => (seen.body as { id?: unknown }).id;

describe("retries (scripted server)", () => {
  test("503, 503, then 200: three attempts with one id, the answer of the last", async () => {
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
    expect(result).toEqual({ delivered: { "user-1": 2 }, id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(server.seen).toHaveLength(3);
    expect(retries).toEqual([2, 3]);
    expect(server.seen[0]).toEqual({
      method: "POST",
      url: "/internal/broadcast",
      authorization: "Bearer s3cret",
      body: { id: result.id, rooms: ["user-1"], event: "notification", data: { title: "t", body: "b" } },
    });
    expect(server.seen.map(idOf)).toEqual([result.id, result.id, result.id]);
  });

  test("every emit() draws a new id; a caller's id is sent as given", async () => {
    const server = await scriptedServer([(seen) => [200, delivered((seen.body as { rooms: string[] }).rooms)]]);
    const publisher = createPublisher({ url: server.url, secret: "s", retry: fast });
    const operator = publisher.to("user-1");
    const first = await operator.emit("notification", { title: "t", body: "b" });
    const second = await operator.emit("notification", { title: "t", body: "b" });
    const mine = await operator.emit("notification", { title: "t", body: "b" }, { id: "invoice-77-paid" });
    expect(first.id).not.toBe(second.id);
    expect(mine.id).toBe("invoice-77-paid");
    expect(server.seen.map(idOf)).toEqual([first.id, second.id, "invoice-77-paid"]);
    await expect(operator.emit("notification", { title: "t", body: "b" }, { id: "" })).rejects.toMatchObject({
      code: "bad_request",
      attempts: 0,
    });
    await expect(
      operator.emit("notification", { title: "t", body: "b" }, { id: "x".repeat(129) }),
    ).rejects.toMatchObject({ code: "bad_request", attempts: 0 });
    expect(server.seen).toHaveLength(3);
  });

  test("a 409 idempotency_conflict is thrown at once, with the id and the rooms that did get it", async () => {
    const server = await scriptedServer([
      () => [409, { ...error("idempotency_conflict", "id x was already used"), delivered: { "user-2": 1 } }],
    ]);
    const publisher = createPublisher({ url: server.url, secret: "s", retry: fast });
    const thrown = await publisher
      .to(["user-1", "user-2"])
      .emit("notification", { title: "t", body: "b" }, { id: "x" })
      .catch((caught: unknown) => caught);
    expect(thrown).toBeInstanceOf(PublishError);
    expect(thrown).toMatchObject({
      code: "idempotency_conflict",
      status: 409,
      attempts: 1,
      id: "x",
      delivered: { "user-2": 1 },
    });
    expect(server.seen).toHaveLength(1);
  });

  test("a 429 is retried, no sooner than Retry-After", async () => {
    const server = await scriptedServer([
      () => [429, error("rate_limited", "too many internal calls"), { "Retry-After": "1" }],
      () => [200, { delivered: { "user-1": 1 } }],
    ]);
    const delays: number[] = [];
    const publisher = createPublisher({
      url: server.url,
      secret: "s",
      retry: fast,
      onRetry: ({ delayMs, error: why }) => {
        delays.push(delayMs);
        expect(why.code).toBe("rate_limited");
      },
    });
    const started = Date.now();
    await expect(publisher.to("user-1").emit("notification", { title: "t", body: "b" })).resolves.toMatchObject({
      delivered: { "user-1": 1 },
    });
    expect(delays).toEqual([1_000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(server.seen.map(idOf)).toEqual([idOf(server.seen[0] as Seen), idOf(server.seen[0] as Seen)]);
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
    expect(result).toEqual({ delivered: { "order-1": 1, "order-2": 1 }, id: expect.any(String) });
    expect(server.seen.map((seen) => (seen.body as { rooms: string[] }).rooms)).toEqual([
      ["order-1", "order-2"],
      ["order-2"],
    ]);
    expect(server.seen.map(idOf)).toEqual([result.id, result.id]);
  });

  test("more rooms than one call may name go out in several calls, all with the same id", async () => {
    const server = await scriptedServer([(seen) => [200, delivered((seen.body as { rooms: string[] }).rooms)]]);
    const publisher = createPublisher({ url: server.url, secret: "s", retry: fast });
    const rooms = Array.from({ length: 150 }, (_, index) => `user-${index}`);
    const result = await publisher.to(rooms).emit("notification", { title: "all", body: "hands" });
    expect(Object.keys(result.delivered)).toHaveLength(150);
    expect(server.seen.map((seen) => (seen.body as { rooms: string[] }).rooms.length)).toEqual([100, 50]);
    // The hub remembers ids per room: disjoint room sets may share one, and a retry of either call is safe.
    expect(server.seen.map(idOf)).toEqual([result.id, result.id]);
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

/**
 * An HTTP proxy to the hub that forwards every request and waits for the hub's answer, then
 * loses the first `failures` answers: the first connection is dropped, the next ones get a 503.
 */
async function flakyProxy(target: string, failures: number) {
  const forwarded: unknown[] = [];
  const hubAnswers: number[] = [];
  const server = createServer((request, response) => {
    let raw = "";
    request.on("data", (chunk) => {
      raw += chunk;
    });
    request.on("end", async () => {
      forwarded.push(JSON.parse(raw));
      const answer = await fetch(`${target}${request.url}`, {
        method: request.method,
        headers: { Authorization: request.headers.authorization ?? "", "Content-Type": "application/json" },
        body: raw,
      });
      const body = await answer.text();
      hubAnswers.push(answer.status);
      const attempt = forwarded.length;
      if (attempt === 1) request.socket.destroy();
      else if (attempt <= failures)
        response
          .writeHead(503, { "Content-Type": "application/json" })
          .end(JSON.stringify(error("internal_error", "proxy lost it")));
      else response.writeHead(answer.status, { "Content-Type": "application/json" }).end(body);
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, forwarded, hubAnswers };
}

describe("against the hub", () => {
  let hub: Hub;

  /** A staff member's socket joined to a fresh order room, recording its updates. */
  async function subscriber() {
    const token = await signToken({ roles: ["staff"] });
    const socket: RoomcastSocket = connect(hub.url, { auth: token });
    const room = `order-${freshId()}`;
    await socket.emitWithAck("join-room", room);
    return { socket, room, updates: record(socket, "order-status-updated") };
  }

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
    ).resolves.toEqual({ delivered: { [room]: 0 }, id: expect.any(String) });
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

  test("a publish retried 3 times with one id delivers once", async () => {
    const { socket, room, updates } = await subscriber();
    const proxy = await flakyProxy(hub.url, 2);
    const retries: string[] = [];
    const publisher = createPublisher({
      url: proxy.url,
      secret: E2E_BROADCAST_SECRET,
      retry: fast,
      onRetry: ({ error: why }) => retries.push(why.code),
    });
    const result = await publisher.to(room).emit("order-status-updated", { orderId: 5, status: "ready" });

    // Every attempt reached the hub; only the answers of the first two were lost.
    expect(proxy.forwarded).toHaveLength(3);
    expect(new Set(proxy.forwarded.map((body) => (body as { id: string }).id))).toEqual(new Set([result.id]));
    expect(proxy.hubAnswers).toEqual([200, 200, 200]);
    expect(retries).toEqual(["network_error", "internal_error"]);
    // The hub answered the repeats with its first answer: one socket.
    expect(result.delivered).toEqual({ [room]: 1 });
    await waitFor(() => updates.calls.length >= 1, 5_000, "the event");
    await sleep(300);
    expect(updates.calls.map((call) => call.args[0])).toEqual([{ orderId: 5, status: "ready" }]);
    socket.disconnect();
  });

  test("the same id later delivers nothing new; with another payload it is a 409, never retried", async () => {
    const { socket, room, updates } = await subscriber();
    const publisher = publisherFor(hub);
    const id = freshId("pub");
    const first = await publisher.to(room).emit("order-status-updated", { orderId: 6, status: "ready" }, { id });
    const again = await publisher.to(room).emit("order-status-updated", { orderId: 6, status: "ready" }, { id });
    expect(first).toEqual({ delivered: { [room]: 1 }, id });
    expect(again).toEqual(first);
    const conflict = await publisher
      .to(room)
      .emit("order-status-updated", { orderId: 6, status: "served" }, { id })
      .catch((caught: unknown) => caught);
    expect(conflict).toBeInstanceOf(PublishError);
    expect(conflict).toMatchObject({ code: "idempotency_conflict", status: 409, attempts: 1, id });
    await waitFor(() => updates.calls.length >= 1, 5_000, "the event");
    await sleep(300);
    expect(updates.calls.map((call) => call.args[0])).toEqual([{ orderId: 6, status: "ready" }]);
    socket.disconnect();
  });

  test("grants apply to order rooms only: the hub's 400 for another room", async () => {
    await expect(publisherFor(hub).grant("restaurant-kitchen", "u1")).rejects.toMatchObject({
      code: "room_not_grantable",
      status: 400,
      attempts: 1,
    });
  });
});
