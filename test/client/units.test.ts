/**
 * The pure parts of the client: backoff delays, frame reading, token claims, cursors, URLs and
 * Retry-After.
 */
import { describe, expect, test } from "vitest";
import { readRetryAfter } from "../../client/access-check";
import { Backoff } from "../../client/backoff";
import { readServerFrames } from "../../client/frames";
import { RoomCursor } from "../../client/room-cursor";
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

describe("tokens and URLs", () => {
  test("readTokenClaims reads sub and exp without verifying", async () => {
    const token = await signToken({ sub: "user_42-x", expiresIn: 60 });
    const claims = readTokenClaims(token);
    expect(claims?.sub).toBe("user_42-x");
    expect(claims?.exp).toBeGreaterThan(Date.now() / 1000);
    expect(readTokenClaims("not-a-jwt")).toBeNull();
    expect(readTokenClaims("a.!!!.c")).toBeNull();
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

  test("URLs carry since and epoch together when resuming, and neither on a first join", () => {
    expect(roomSocketUrl("http://hub.test", "order-1", { token: "t", resume: { since: 41, epoch: "9f2c" } })).toBe(
      "ws://hub.test/ws/order-1?token=t&since=41&epoch=9f2c",
    );
    expect(roomSocketUrl("http://hub.test", "order-1", { token: "t", resume: undefined })).toBe(
      "ws://hub.test/ws/order-1?token=t",
    );
  });
});

describe("RoomCursor", () => {
  const accepted = (cursor: RoomCursor, seqs: number[], epoch = "e1") =>
    seqs.filter((seq) => cursor.accept(seq, epoch));

  test("a first join asks for nothing; then the cursor follows the highest seq and drops repeats", () => {
    const cursor = new RoomCursor();
    expect(cursor.resumeQuery()).toBeUndefined();
    expect(cursor.joined({ room: "r", userId: "u", seq: 10, epoch: "e1" }, undefined)).toEqual({ kind: "fresh" });
    expect(cursor.resumeQuery()).toEqual({ since: 10, epoch: "e1" });
    expect(accepted(cursor, [11, 12, 12, 11, 14, 13, 15])).toEqual([11, 12, 14, 15]);
    expect(cursor.resumeQuery()).toEqual({ since: 15, epoch: "e1" });
    // Frames without a seq (typing, snapshots) always pass and move nothing.
    expect(cursor.accept(undefined, undefined)).toBe(true);
    expect(cursor.accept("16", "e1")).toBe(true);
    expect(cursor.resumeQuery()).toEqual({ since: 15, epoch: "e1" });
  });

  test("after a join that did not resume, older frames (unread notifications) pass once each", () => {
    const cursor = new RoomCursor();
    cursor.joined({ seq: 20, epoch: "e1" }, undefined);
    // Backlog 3 and 7, a live 21 in between, then a repeat of each.
    expect(accepted(cursor, [3, 21, 7, 3, 7, 21, 22])).toEqual([3, 21, 7, 22]);
    expect(cursor.resumeQuery()).toEqual({ since: 22, epoch: "e1" });
  });

  test("a recovered resume keeps the cursor at since, so the replay passes and repeats do not", () => {
    const cursor = new RoomCursor();
    cursor.joined({ seq: 5, epoch: "e1" }, undefined);
    accepted(cursor, [6, 7]);
    const asked = cursor.resumeQuery();
    expect(asked).toEqual({ since: 7, epoch: "e1" });
    // The hub is at 10 now: 8, 9, 10 follow the joined frame.
    expect(cursor.joined({ seq: 10, epoch: "e1", recovered: true }, asked)).toEqual({ kind: "recovered" });
    expect(accepted(cursor, [8, 9, 9, 10, 4, 11])).toEqual([8, 9, 10, 11]);
  });

  test("recovered: false names what was asked and where the room is now", () => {
    const cursor = new RoomCursor();
    cursor.joined({ seq: 5, epoch: "e1" }, undefined);
    const asked = cursor.resumeQuery();
    expect(cursor.joined({ seq: 900, epoch: "e1", recovered: false }, asked)).toEqual({
      kind: "lost",
      info: { since: 5, epoch: "e1", seq: 900, currentEpoch: "e1", reason: "history_gone" },
    });
    expect(cursor.resumeQuery()).toEqual({ since: 900, epoch: "e1" });
    expect(cursor.joined({ seq: 0, epoch: "e2", recovered: false }, cursor.resumeQuery())).toEqual({
      kind: "lost",
      info: { since: 900, epoch: "e1", seq: 0, currentEpoch: "e2", reason: "epoch_changed" },
    });
    // The new epoch's first event is seq 1.
    expect(accepted(cursor, [1, 1, 2], "e2")).toEqual([1, 2]);
  });

  test("a recovered answer for another epoch is not believed", () => {
    const cursor = new RoomCursor();
    cursor.joined({ seq: 5, epoch: "e1" }, undefined);
    const outcome = cursor.joined({ seq: 3, epoch: "e2", recovered: true }, cursor.resumeQuery());
    expect(outcome.kind).toBe("lost");
  });
});

describe("readRetryAfter", () => {
  test("seconds or an HTTP date, capped; nothing readable is undefined", () => {
    expect(readRetryAfter("10")).toBe(10_000);
    expect(readRetryAfter("0")).toBe(0);
    expect(readRetryAfter(new Date(60_000).toUTCString(), 30_000)).toBe(30_000);
    expect(readRetryAfter("86400")).toBe(300_000);
    expect(readRetryAfter(null)).toBeUndefined();
    expect(readRetryAfter("soon")).toBeUndefined();
  });
});
