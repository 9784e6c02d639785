/**
 * The pure parts of the client: backoff delays, frame reading, token claims, cursors and URLs.
 */
import { describe, expect, test } from "vitest";
import { Backoff } from "../../client/backoff";
import { readServerFrames } from "../../client/frames";
import { advanceCursor, type RoomCursor } from "../../client/room-cursor";
import { accessCheckUrl, roomSocketUrl } from "../../client/room-url";
import { readTokenClaims } from "../../client/token";
import { HEARTBEAT_ACK_FRAME } from "../../src/protocol";
import { signToken } from "./helpers";

/** A deterministic source of randomness (a linear congruential generator). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) % 2 ** 32;
    return state / 2 ** 32;
  };
}

describe("Backoff", () => {
  test("every delay stays within the bounds, whatever the randomness", () => {
    for (const random of [() => 0, () => 0.999_999, seeded(1), seeded(2)]) {
      const backoff = new Backoff({ minDelayMs: 1_000, maxDelayMs: 10_000, random });
      for (let attempt = 0; attempt < 200; attempt++) {
        const delay = backoff.next();
        expect(delay).toBeGreaterThanOrEqual(1_000);
        expect(delay).toBeLessThanOrEqual(10_000);
      }
    }
  });

  test("delays grow until the cap: the upper end triples per attempt", () => {
    const backoff = new Backoff({ minDelayMs: 1_000, maxDelayMs: 10_000, random: () => 0.999_999 });
    const delays = Array.from({ length: 5 }, () => backoff.next());
    expect(delays).toEqual([3_000, 9_000, 10_000, 10_000, 10_000]);
  });

  test("two clients draw different sequences (jitter), and reset starts over", () => {
    const a = new Backoff({ random: seeded(7) });
    const b = new Backoff({ random: seeded(8) });
    const first = Array.from({ length: 6 }, () => a.next());
    const second = Array.from({ length: 6 }, () => b.next());
    expect(first).not.toEqual(second);
    const always = new Backoff({ random: () => 0.999_999 });
    always.next();
    always.next();
    always.reset();
    expect(always.next()).toBe(3_000);
  });

  test("bad bounds are refused", () => {
    expect(() => new Backoff({ minDelayMs: 500, maxDelayMs: 100 })).toThrow(RangeError);
  });
});

describe("readServerFrames", () => {
  test("the heartbeat answer, acks and ack errors", () => {
    expect(readServerFrames(HEARTBEAT_ACK_FRAME)).toEqual([{ kind: "heartbeat-ack" }]);
    expect(readServerFrames('{"event":"ack","ack":3,"data":{"members":1}}')).toEqual([
      { kind: "ack", ack: 3, data: { members: 1 } },
    ]);
    expect(
      readServerFrames('{"event":"error","ack":4,"data":{"code":"unknown_event","message":"unknown event \\"x\\""}}'),
    ).toEqual([{ kind: "ack-error", ack: 4, code: "unknown_event", message: 'unknown event "x"' }]);
  });

  test("events keep their seq and epoch; extra fields are tolerated", () => {
    expect(
      readServerFrames('{"event":"notification","room":"user-1","data":{"title":"t"},"seq":5,"epoch":"ab","x":1}'),
    ).toEqual([{ kind: "event", event: "notification", room: "user-1", data: { title: "t" }, seq: 5, epoch: "ab" }]);
  });

  test("a batch is unpacked in order; inner frames inherit its room", () => {
    const batch = {
      event: "batch",
      room: "order-1",
      data: [
        { event: "order-status-updated", data: { status: "a" }, seq: 1 },
        { event: "order-status-updated", room: "order-1", data: { status: "b" }, seq: 2 },
        { nonsense: true },
      ],
    };
    const frames = readServerFrames(JSON.stringify(batch));
    expect(frames.map((frame) => (frame.kind === "event" ? [frame.room, frame.data, frame.seq] : null))).toEqual([
      ["order-1", { status: "a" }, 1],
      ["order-1", { status: "b" }, 2],
    ]);
  });

  test("what is not a frame yields nothing", () => {
    expect(readServerFrames("not json")).toEqual([]);
    expect(readServerFrames('{"room":"x"}')).toEqual([]);
    expect(readServerFrames(new ArrayBuffer(4))).toEqual([]);
  });
});

describe("tokens, cursors and URLs", () => {
  test("readTokenClaims reads sub and exp without verifying", async () => {
    const token = await signToken({ sub: "user_42-x", expiresIn: 60 });
    const claims = readTokenClaims(token);
    expect(claims?.sub).toBe("user_42-x");
    expect(claims?.exp).toBeGreaterThan(Date.now() / 1000);
    expect(readTokenClaims("not-a-jwt")).toBeNull();
    expect(readTokenClaims("a.!!!.c")).toBeNull();
  });

  test("a cursor keeps the highest seq of its epoch and restarts with a new epoch", () => {
    const cursor: RoomCursor = {};
    advanceCursor(cursor, { seq: 4, epoch: "e1" });
    advanceCursor(cursor, { seq: 2 });
    advanceCursor(cursor, { seq: "7" });
    expect(cursor).toEqual({ seq: 4, epoch: "e1" });
    advanceCursor(cursor, { epoch: "e2" });
    expect(cursor).toEqual({ seq: undefined, epoch: "e2" });
  });

  test("URLs follow the base's scheme and path", () => {
    expect(roomSocketUrl("https://hub.example.com/rt", "order-1", { token: "a.b.c" })).toBe(
      "wss://hub.example.com/rt/ws/order-1?token=a.b.c",
    );
    expect(roomSocketUrl("ws://127.0.0.1:8787/", "user-1", { token: "t" })).toBe(
      "ws://127.0.0.1:8787/ws/user-1?token=t",
    );
    expect(accessCheckUrl("wss://hub.example.com", "support-agents")).toBe(
      "https://hub.example.com/access/support-agents",
    );
  });
});
